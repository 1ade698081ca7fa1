import { css } from 'lit';

/** <pigeon-viewer>'s look: the picture with its status, stats and buttons over it (beneath it on a phone). */
export const viewerStyles = css`
  :host {
    display: block;
    color: #eee;
  }
  /* The fullscreen target: the picture, with the buttons over it (beneath it on a phone). */
  .stage {
    position: relative;
    background: #111;
    border-radius: 0.5rem;
    overflow: hidden;
    container-type: inline-size;
  }
  .picture {
    position: relative;
    aspect-ratio: 4 / 3;
    max-height: 75vh;
    display: grid;
    place-items: center;
    container-type: inline-size;
  }
  .stage:fullscreen {
    border-radius: 0;
    display: flex;
    flex-direction: column;
  }
  .stage:fullscreen .picture {
    aspect-ratio: auto;
    max-height: none;
    flex: 1;
  }
  video,
  canvas.frames {
    width: 100%;
    height: 100%;
    object-fit: contain;
    display: block;
  }
  .detections {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    pointer-events: none;
  }
  .detections[hidden] {
    display: none;
  }
  .placeholder {
    margin: 3rem 1rem 1rem;
    text-align: center;
    opacity: 0.75;
  }
  .status {
    position: absolute;
    top: 0.5rem;
    left: 0.5rem;
    margin: 0;
    padding: 0.2rem 0.6rem;
    border-radius: 1rem;
    background: rgb(0 0 0 / 0.7);
    font-size: 0.9rem;
    max-width: calc(100% - 11rem);
  }
  .status::before {
    content: '';
    display: inline-block;
    width: 0.6em;
    height: 0.6em;
    margin-right: 0.4em;
    border-radius: 50%;
    background: #e0a800;
  }
  .status[data-status='connected']::before {
    background: #2ecc71;
  }
  .status[data-status='failed']::before,
  .status[data-status='closed']::before {
    background: #e74c3c;
  }
  .stats {
    position: absolute;
    left: 0.5rem;
    bottom: 0.5rem;
    margin: 0;
    padding: 0.3rem 0.6rem;
    display: grid;
    grid-template-columns: auto auto;
    gap: 0 0.6rem;
    background: rgb(0 0 0 / 0.7);
    border-radius: 0.4rem;
    font: 0.8rem/1.4 ui-monospace, monospace;
  }
  /* On a phone the overlay would hide half the picture: smaller, in two pairs a row. */
  @container (max-width: 32rem) {
    .stats {
      grid-template-columns: auto auto auto auto;
      font-size: 0.65rem;
      padding: 0.2rem 0.4rem;
    }
  }
  .stats dt {
    opacity: 0.75;
  }
  .stats dd {
    margin: 0;
    text-align: right;
  }
  /* The Pi's own numbers, below the browser's. */
  .stats .agent {
    margin-top: 0.2rem;
    padding-top: 0.2rem;
    border-top: 1px solid rgb(255 255 255 / 0.3);
  }
  .controls {
    position: absolute;
    top: 0.5rem;
    right: 0.5rem;
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.4rem;
    max-width: calc(100% - 10rem);
  }
  .detections-filter {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    color: #fff;
    background: rgb(0 0 0 / 0.55);
    border-radius: 0.3rem;
    padding: 0 0.3rem;
    font-size: 0.8rem;
  }
  .detections-filter input {
    width: 5rem;
  }
  /* A phone's width holds the status and two or three buttons a row. */
  @container (max-width: 32rem) {
    .controls {
      gap: 0.25rem;
    }
    .controls button {
      font-size: 0.75rem;
      padding: 0.2rem 0.4rem;
      min-height: 1.75rem;
    }
    .stats .agent {
      margin-top: 0;
      padding-top: 0;
      border-top: none;
    }
  }
  button {
    font: inherit;
    font-size: 0.85rem;
    color: #fff;
    background: rgb(0 0 0 / 0.7);
    border: 1px solid rgb(255 255 255 / 0.4);
    border-radius: 0.4rem;
    padding: 0.3rem 0.6rem;
    min-height: 2rem;
    cursor: pointer;
  }
  /*
   * A phone: the buttons go in a row beneath the picture, where a thumb can hit them (44 px, as
   * Apple's and Google's guidelines ask) without covering the video. Last, so it wins.
   */
  @media (max-width: 40rem) {
    .picture {
      max-height: none;
    }
    .status {
      max-width: calc(100% - 1rem);
    }
    .controls {
      position: static;
      max-width: none;
      justify-content: flex-start;
      gap: 0.4rem;
      padding: 0.4rem;
    }
    .controls button {
      font-size: 0.9rem;
      padding: 0.3rem 0.8rem;
      min-height: 2.75rem;
      min-width: 2.75rem;
    }
  }
  button:focus-visible {
    outline: 3px solid #4da3ff;
    outline-offset: 2px;
  }
  .quality {
    position: absolute;
    top: 3rem;
    right: 0.5rem;
    display: grid;
    gap: 0.4rem;
    padding: 0.6rem;
    background: rgb(0 0 0 / 0.8);
    border-radius: 0.4rem;
    font-size: 0.85rem;
  }
  .quality label {
    display: grid;
    gap: 0.2rem;
  }
  .quality select {
    font: inherit;
  }
  .notice {
    position: absolute;
    right: 0.5rem;
    bottom: 0.5rem;
    margin: 0;
    padding: 0.2rem 0.6rem;
    border-radius: 0.4rem;
    background: rgb(0 0 0 / 0.7);
    font-size: 0.85rem;
    max-width: 50%;
  }
  .error {
    margin: 3rem 1rem 1rem;
    max-width: 30rem;
    padding: 0.6rem 0.8rem;
    border-radius: 0.4rem;
    background: #fdecea;
    color: #8a1c12;
  }
  .hello {
    margin: 0.4rem 0 0;
    font-size: 0.85rem;
    color: var(--pigeon-muted, #666);
  }
`;
