import { css } from 'lit';

/** The Pigeon page's look: the steps, the code boxes, the answer QR (full-screen when the offer came by link). */
export const appStyles = css`
  :host {
    display: block;
    max-width: 60rem;
    margin: 0 auto;
    padding: 1rem;
    font: 16px/1.5 system-ui, sans-serif;
    color: #1d1d1f;
    box-sizing: border-box;
  }
  h1 {
    margin: 0;
    font-size: 1.6rem;
  }
  .tagline {
    margin: 0 0 1rem;
    color: #555;
  }
  h2 {
    font-size: 1.1rem;
    margin: 0 0 0.4rem;
  }
  section {
    margin: 0 0 1.25rem;
  }
  textarea {
    display: block;
    width: 100%;
    box-sizing: border-box;
    min-height: 5.5rem;
    padding: 0.5rem;
    font: 14px/1.4 ui-monospace, monospace;
    border: 1px solid #888;
    border-radius: 0.4rem;
    word-break: break-all;
    resize: vertical;
  }
  textarea:focus-visible,
  button:focus-visible {
    outline: 3px solid #1a73e8;
    outline-offset: 2px;
  }
  .or {
    margin: 0.5rem 0;
    color: #555;
  }
  .hint {
    margin: 0.3rem 0 0;
    font-size: 0.9rem;
    color: #555;
  }
  .error {
    margin: 0.5rem 0 0;
    padding: 0.6rem 0.8rem;
    border-radius: 0.4rem;
    background: #fdecea;
    color: #8a1c12;
  }
  .instruction {
    font-size: 1.05rem;
    font-weight: 600;
    margin: 0 0 0.6rem;
  }
  .answer {
    display: grid;
    gap: 1rem;
    align-items: start;
  }
  qr-view {
    width: min(100%, 22rem);
    border: 1px solid #ccc;
  }
  .answer textarea {
    min-height: 4.5rem;
    background: #f6f6f6;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    margin-top: 0.5rem;
  }
  button {
    font: inherit;
    padding: 0.45rem 1rem;
    min-height: 2.75rem;
    border-radius: 0.4rem;
    border: 1px solid #1a73e8;
    background: #1a73e8;
    color: #fff;
    cursor: pointer;
  }
  button.secondary {
    background: #fff;
    color: #1a73e8;
  }
  @media (min-width: 48rem) {
    .answer {
      grid-template-columns: 22rem 1fr;
    }
  }
  /* Came from the Pi's link: the answer QR is the whole point of the screen. */
  .answer.big {
    grid-template-columns: none;
    justify-items: center;
  }
  .answer.big qr-view {
    width: min(100%, calc(100svh - 12rem), 36rem);
    min-width: min(100%, 16rem);
  }
  .answer.big > div {
    width: 100%;
  }
  .brightness {
    margin: 0 0 0.6rem;
    padding: 0.5rem 0.8rem;
    border-radius: 0.4rem;
    background: #fff8e1;
    color: #5d4300;
  }
`;
