import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { drawQrOnCanvas } from '../qr/canvas.ts';
import { qrMatrix } from '../qr/matrix.ts';

/**
 * A QR code of some bytes (a Pigeon frame goes in byte mode as it is), drawn on a canvas with
 * whole pixels per module so a phone or the Pi's camera reads it from a screen.
 *
 * @csspart canvas - the drawn code; size it with `width` (it stays square and sharp)
 */
@customElement('qr-view')
export class QrView extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    canvas {
      display: block;
      width: 100%;
      height: auto;
      aspect-ratio: 1;
      image-rendering: pixelated;
      background: #fff;
    }
  `;

  /** What the code holds. Nothing is drawn while it is empty. */
  @property({ attribute: false }) data: Uint8Array | undefined;

  /** Read out by screen readers in place of the picture. */
  @property() label = 'QR code';

  @query('canvas') private canvas!: HTMLCanvasElement;

  override render() {
    return html`<canvas part="canvas" role="img" aria-label=${this.label}></canvas>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('data')) return;
    if (this.data && this.data.length > 0) {
      // 8 px a module for a version-5 code: crisp on a phone held up to it, no smoothing.
      drawQrOnCanvas(this.canvas, qrMatrix(this.data), 400);
    } else {
      this.canvas.width = this.canvas.height = 0;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'qr-view': QrView;
  }
}
