import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { ScanController } from '../controllers/scan-controller.ts';
import { scanEvent } from '../events/index.ts';
import type { BlobType } from '../signal/index.ts';

/**
 * Reads a Pigeon QR code with a camera (the back one on a phone, any other from the picker).
 * The camera runs only between the person pressing "Scan with camera" and a code being read.
 * A photo or screenshot of the code can be picked or dropped on it instead.
 *
 * @fires scan - `CustomEvent<ScanDetail>`: a Pigeon code of the `expect`ed type, as `pigeon:` text.
 *   Bubbles, composed.
 */
@customElement('qr-scan')
export class QrScan extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .preview video {
      display: block;
      width: min(100%, 28rem);
      max-height: 60vh;
      margin-top: 0.5rem;
      background: #111;
      border-radius: 0.4rem;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    button,
    select {
      font: inherit;
      min-height: 2.75rem;
      border-radius: 0.4rem;
    }
    button {
      padding: 0.45rem 1rem;
      border: 1px solid #1a73e8;
      background: #fff;
      color: #1a73e8;
      cursor: pointer;
    }
    button:focus-visible,
    select:focus-visible {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    .file {
      position: relative;
      display: inline-flex;
      align-items: center;
      min-height: 2.75rem;
      padding: 0 1rem;
      border: 1px solid #1a73e8;
      border-radius: 0.4rem;
      color: #1a73e8;
      cursor: pointer;
    }
    .file input {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
    }
    .file:focus-within {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    .message {
      margin: 0.5rem 0 0;
      padding: 0.5rem 0.8rem;
      border-radius: 0.4rem;
      background: #fff4e5;
      color: #6b3d00;
    }
  `;

  /** Which kind of code to accept: the Pi's `offer` (the default) or an `answer`. */
  @property() expect: BlobType = 'offer';

  private readonly scanner = new ScanController(this, { onFound: (text, blob) => this.dispatchEvent(scanEvent({ text, blob })) }, () => this.expect);

  /** `idle`, `starting`, `scanning`, `denied` or `unavailable`. */
  get status() {
    return this.scanner.status;
  }

  /** Starts the camera, as the button does. */
  start(): Promise<void> {
    return this.scanner.start();
  }

  /** Stops the camera. */
  stop(): void {
    this.scanner.stop();
  }

  private onFile(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.scanner.readImage(file);
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) void this.scanner.readImage(file);
  }

  constructor() {
    super();
    // A screenshot dragged onto the scanner is read like a picked one. Listened for once, on the
    // element itself: in connectedCallback, a moved element would read every drop twice.
    this.addEventListener('dragover', (e) => e.preventDefault());
    this.addEventListener('drop', (e) => this.onDrop(e));
  }

  override render() {
    const { status, message, cameras, deviceId, video } = this.scanner;
    const on = status === 'scanning' || status === 'starting';
    return html`
      <div class="row">
        ${on
          ? html`<button type="button" @click=${() => this.scanner.stop()}>Stop camera</button>`
          : html`<button type="button" @click=${() => void this.scanner.start()}>Scan with camera</button>`}
        ${on && cameras.length > 1
          ? html`<label
              >Camera
              <select @change=${(e: Event) => void this.scanner.start((e.target as HTMLSelectElement).value)}>
                ${cameras.map((c, i) => html`<option value=${c.deviceId} ?selected=${c.deviceId === deviceId}>${c.label || `Camera ${i + 1}`}</option>`)}
              </select></label
            >`
          : nothing}
        <label class="file"
          >Open a photo of the code<input type="file" accept="image/*" @change=${this.onFile}
        /></label>
        <span role="status" class="state">${status === 'scanning' ? 'Point the camera at the QR code.' : status === 'starting' ? 'Starting the camera…' : ''}</span>
      </div>
      ${on ? html`<div class="preview">${video}</div>` : nothing}
      ${message ? html`<p class="message" role=${status === 'scanning' ? 'status' : 'alert'}>${message}</p>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'qr-scan': QrScan;
  }
}
