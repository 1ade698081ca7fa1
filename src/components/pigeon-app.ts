import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { WakeLockController } from '../controllers/wake-lock-controller.ts';
import { viewerError, type BlobDetail, type ScanDetail } from '../events/index.ts';
import { MAX_TEXT_CHARS, SignalError, decodeBlob, isSignalError, linkDigits } from '../signal/index.ts';
import './pigeon-viewer.ts';
import './qr-scan.ts';
import './qr-view.ts';

/**
 * The Pigeon page: take the Pi's offer (pasted, or in the URL fragment `#pigeon:…`), show the
 * answer as a QR code and text for the Pi, then watch in a `<pigeon-viewer>`.
 */
@customElement('pigeon-app')
export class PigeonApp extends LitElement {
  static override styles = css`
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

  /** The Pi's offer text being watched; set by a paste, a scan or the URL fragment. */
  @property() offer = '';

  /**
   * `answer` (the default): the Pi offers (`pi-agent offer`) and this page answers.
   * `offer`: this page offers and the Pi answers (`pi-agent answer`).
   */
  @state() private direction: 'answer' | 'offer' = 'answer';
  @state() private pasted = '';
  @state() private pasteError = '';
  /** The blob this page made for the Pi: its answer, or its own offer. */
  @state() private mine: BlobDetail | undefined;
  /** The Pi's answer to this page's offer. */
  @state() private piAnswer = '';
  @state() private connected = false;
  @state() private copied = '';
  /** The offer came in the URL: the answer QR goes first and fills the screen. */
  @state() private fromLink = false;
  /** The screen stays on while the answer QR waits for the Pi's camera. */
  private readonly wakeLock = new WakeLockController(this);

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.readFragment);
    this.readFragment();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.readFragment);
    super.disconnectedCallback();
  }

  /**
   * `#P:<digits>` (the agent's --page-url link, which a phone's camera app opens) or
   * `#pigeon:…`: use it as if pasted, and put the answer first, since the phone is about to be
   * held up to the Pi's camera.
   */
  private readonly readFragment = (): void => {
    const fragment = decodeURIComponent(window.location.hash.slice(1));
    if (fragment.includes('pigeon:') || linkDigits(fragment) !== undefined) {
      this.direction = 'answer';
      this.fromLink = true;
      this.take(fragment);
    }
  };

  private onInput(event: Event): void {
    this.take((event.target as HTMLTextAreaElement).value);
  }

  /**
   * A paste larger than any code is refused whole, before the box (or this element's state)
   * holds it; cutting it to `maxlength` instead would only turn it into a "damaged" code.
   */
  private onPaste(event: ClipboardEvent): void {
    const length = event.clipboardData?.getData('text/plain').length ?? 0;
    if (length <= MAX_TEXT_CHARS) return;
    event.preventDefault();
    this.pasteError = new SignalError('E_TOO_LARGE', `a paste of ${length} characters; a code is at most ${MAX_TEXT_CHARS}`).message;
  }

  /** A code from the paste box or the scanner: the Pi's offer, or its answer to ours. */
  private take(text: string): void {
    const expect = this.direction === 'answer' ? 'offer' : 'answer';
    this.pasted = text;
    this.pasteError = '';
    if (text.trim() === '') return;
    try {
      decodeBlob(text, { expect });
    } catch (error) {
      this.pasteError = isSignalError(error) ? error.message : `Unexpected error: ${String(error)}`;
      return;
    }
    if (expect === 'answer') {
      this.piAnswer = text;
      return;
    }
    if (text === this.offer) return;
    this.mine = undefined;
    this.connected = false;
    this.copied = '';
    this.offer = text;
  }

  private onMine(event: CustomEvent<BlobDetail>): void {
    this.mine = event.detail;
  }

  private onViewerError(event: Event): void {
    // The viewer shows the message itself. Once the connection failed the blob is spent (the
    // Pi's offers are single-use), so the page goes back to asking for a fresh code.
    const code = viewerError(event)?.code;
    if (code === 'E_ICE_FAILED' || code === 'E_DISCONNECTED' || code === 'E_CHANNEL_CLOSED' || code === 'E_AGENT_STOPPED' || code === 'E_CODE_EXPIRED') {
      this.connected = false;
      this.mine = undefined;
    }
  }

  private async copy(): Promise<void> {
    if (!this.mine) return;
    try {
      await navigator.clipboard.writeText(this.mine.text);
      this.copied = 'Copied.';
    } catch {
      const area = this.renderRoot.querySelector<HTMLTextAreaElement>('#mine-text');
      area?.select();
      this.copied = 'Could not copy by itself: the text is selected, copy it with Ctrl+C (or long-press).';
    }
  }

  private reset(): void {
    this.offer = '';
    this.pasted = '';
    this.pasteError = '';
    this.mine = undefined;
    this.piAnswer = '';
    this.connected = false;
    this.copied = '';
  }

  private startOver(): void {
    this.reset();
    this.fromLink = false;
    this.direction = 'answer';
    if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
  }

  /** The way round for `pi-agent answer`: this page offers first. */
  private async createOffer(): Promise<void> {
    this.reset();
    this.direction = 'offer';
    await this.updateComplete;
    await this.renderRoot.querySelector('pigeon-viewer')?.createOffer();
  }

  protected override updated(): void {
    this.wakeLock.set(this.mine !== undefined && !this.connected && this.direction === 'answer');
  }

  override render() {
    const offering = this.direction === 'offer';
    const watching = offering || this.offer !== '';
    const steps = this.connected
      ? nothing
      : offering
        ? html`${this.mine
            ? this.renderMine(this.mine, '1. Give this page’s offer to the Pi', 'Paste this into pi-agent answer, or hold it up to the Pi’s camera.')
            : nothing}
          ${this.renderCodeStep('2. The Pi’s answer', 'Paste the answer the Pi agent shows (it starts with pigeon:)')}`
        : this.fromLink && this.mine
          ? this.renderMine(this.mine, 'Show this to the Pi’s camera', 'Hold this screen up to the Pi’s camera; the video starts below by itself.')
          : html`${this.renderCodeStep('1. The Pi’s code', 'Paste the code the Pi agent shows (it starts with pigeon:)')}
              ${this.mine ? this.renderMine(this.mine, '2. Give this answer to the Pi', 'Paste this into the Pi agent, or hold it up to the Pi’s camera.') : nothing}`;
    return html`
      <header>
        <h1>Pigeon</h1>
        <p class="tagline">Watch a Raspberry Pi camera, straight from the Pi: no server, no internet.</p>
      </header>
      ${steps}
      ${watching
        ? html`<section aria-labelledby="watch-title">
            <h2 id="watch-title">${this.connected ? 'Live from the Pi' : '3. Watch'}</h2>
            <pigeon-viewer
              .offer=${this.offer}
              .answer=${this.piAnswer}
              @answer=${this.onMine}
              @offer=${this.onMine}
              @connected=${() => (this.connected = true)}
              @error=${this.onViewerError}
            ></pigeon-viewer>
          </section>`
        : nothing}
      <div class="row">
        ${watching ? html`<button type="button" class="secondary" @click=${this.startOver}>Start over</button>` : nothing}
        ${offering || this.connected
          ? nothing
          : html`<button type="button" class="secondary" @click=${this.createOffer}>Create an offer (for pi-agent answer)</button>`}
      </div>
    `;
  }

  private renderCodeStep(title: string, label: string) {
    const offering = this.direction === 'offer';
    return html`<section aria-labelledby="code-title">
      <h2 id="code-title">${title}</h2>
      <qr-scan expect=${offering ? 'answer' : 'offer'} @scan=${(e: CustomEvent<ScanDetail>) => this.take(e.detail.text)}></qr-scan>
      <p class="or">or</p>
      <label for="code-text">${label}</label>
      <textarea
        id="code-text"
        .value=${this.pasted}
        maxlength=${MAX_TEXT_CHARS}
        @input=${this.onInput}
        @paste=${this.onPaste}
        placeholder="pigeon:…"
        spellcheck="false"
        autocomplete="off"
        autocapitalize="off"
        aria-describedby="code-hint"
        aria-invalid=${this.pasteError ? 'true' : 'false'}
      ></textarea>
      <p class="hint" id="code-hint">
        ${offering
          ? html`The Pi prints its answer after reading this page’s offer.`
          : html`Run <code>pi-agent offer</code> on the Pi. Opening this page with the code after <code>#</code> works too.`}
      </p>
      ${this.pasteError ? html`<p class="error" role="alert">${this.pasteError}</p>` : nothing}
    </section>`;
  }

  private renderMine(blob: BlobDetail, title: string, instruction: string) {
    const answering = this.direction === 'answer';
    const big = answering && this.fromLink;
    // Above the big QR on a phone; beside the QR otherwise, so the video below stays in view.
    const brightness = answering
      ? html`<p class="brightness">Turn the screen brightness up and hold the phone 20–40 cm from the Pi’s camera.</p>`
      : nothing;
    return html`<section aria-labelledby="mine-title" data-wake-lock=${this.wakeLock.status}>
      <h2 id="mine-title">${title}</h2>
      <p class="instruction">${instruction}</p>
      ${big ? brightness : nothing}
      <div class="answer ${big ? 'big' : ''}">
        <qr-view .data=${blob.bytes} label="QR code of the ${blob === this.mine && this.direction === 'offer' ? 'offer' : 'answer'} for the Pi"></qr-view>
        <div>
          ${big ? nothing : brightness}
          <label for="mine-text">${this.direction === 'offer' ? 'Offer' : 'Answer'} as text</label>
          <textarea id="mine-text" readonly .value=${blob.text} spellcheck="false"></textarea>
          <div class="row">
            <button type="button" @click=${this.copy}>Copy ${this.direction === 'offer' ? 'offer' : 'answer'}</button>
            <span role="status">${this.copied}</span>
          </div>
        </div>
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pigeon-app': PigeonApp;
  }
}
