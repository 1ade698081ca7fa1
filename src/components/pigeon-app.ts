import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { qrMatrix } from '../qr/matrix.ts';
import { renderSvg } from '../qr/svg.ts';
import { decodeBlob, isSignalError, type DecodedBlob } from '../signal/index.ts';

/**
 * The page's root. For now it reads a pasted Pigeon code and shows what it holds and its QR;
 * scanning, answering and watching come with the web app issue.
 */
@customElement('pigeon-app')
export class PigeonApp extends LitElement {
  static override styles = css`
    :host {
      display: block;
      max-width: 40rem;
      margin: 0 auto;
      padding: 1rem;
      font: 16px/1.5 system-ui, sans-serif;
    }
    textarea {
      width: 100%;
      box-sizing: border-box;
      min-height: 6rem;
      font: 14px ui-monospace, monospace;
    }
    .error {
      color: #a00;
    }
    img {
      width: min(100%, 20rem);
      image-rendering: pixelated;
    }
  `;

  @state() private decoded: DecodedBlob | undefined;
  @state() private error = '';

  private onInput(event: Event): void {
    const text = (event.target as HTMLTextAreaElement).value;
    this.decoded = undefined;
    this.error = '';
    if (text.trim() === '') return;
    try {
      this.decoded = decodeBlob(text);
    } catch (error) {
      this.error = isSignalError(error) ? error.message : `Unexpected error: ${String(error)}`;
    }
  }

  override render() {
    const d = this.decoded;
    const svg = d ? renderSvg(qrMatrix(d.frame), { title: `Pigeon ${d.type}` }) : '';
    return html`
      <h1>Pigeon</h1>
      <label for="blob">Paste a Pigeon code (it starts with <code>pigeon:</code>)</label>
      <textarea id="blob" @input=${this.onInput} spellcheck="false" autocomplete="off"></textarea>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      ${d
        ? html`<p role="status">
              ${d.type === 'offer' ? 'Offer' : 'Answer'}${d.offerId === undefined ? '' : ` #${d.offerId}`}, ${d.mode},
              ${d.bytes} bytes
            </p>
            <img alt="QR code of this ${d.type}" src="data:image/svg+xml,${encodeURIComponent(svg)}" />`
        : ''}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pigeon-app': PigeonApp;
  }
}
