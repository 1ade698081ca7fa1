import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { WakeLockController } from '../controllers/wake-lock-controller.ts';
import { viewerError, viewerErrorOf, type BlobDetail, type ScanDetail } from '../events/index.ts';
import { MAX_TEXT_CHARS, SignalError, decodeBlob, linkDigits, type DecodedBlob } from '../signal/index.ts';
import { appStyles } from './pigeon-app.styles.ts';
import './pigeon-viewer.ts';
import './qr-scan.ts';
import './qr-view.ts';

/**
 * The Pigeon page: take the Pi's offer (pasted, or in the URL fragment `#pigeon:…`), show the
 * answer as a QR code and text for the Pi, then watch in a `<pigeon-viewer>`.
 */
@customElement('pigeon-app')
export class PigeonApp extends LitElement {
  static override styles = appStyles;

  /** The Pi's offer text being watched; set by a paste, a scan or the URL fragment. */
  @property() offer = '';
  /**
   * A `pigeon-bridge` URL for the viewer (docs/bridge.md): from the page's own URL,
   * `index.html?bridge=<URL-encoded ws://127.0.0.1:…>`, unless set.
   */
  @property() bridge = '';
  /** Which WebRTC the viewer uses (`auto`, `native`, `bridge`; see `<pigeon-viewer transport>`): from `?transport=`, unless set. */
  @property() transport = '';
  /** How the viewer shows the bridge's frames (`webcodecs`, `mse`; see `<pigeon-viewer decoder>`): from `?decoder=`, unless set. */
  @property() decoder = '';
  /** The offer as decoded when it was taken, handed to the viewer as it is while `offer` is its text. */
  @state() private taken: Taken | undefined;

  /**
   * `answer` (the default): the Pi offers (`pi-agent offer`) and this page answers.
   * `offer`: this page offers and the Pi answers (`pi-agent answer`).
   */
  @state() private direction: 'answer' | 'offer' = 'answer';
  @state() private pasted = '';
  @state() private pasteError = '';
  /** The blob this page made for the Pi: its answer, or its own offer. */
  @state() private mine: BlobDetail | undefined;
  /** The Pi's answer to this page's offer, as decoded when it was taken. */
  @state() private piAnswer: Taken | undefined;
  @state() private connected = false;
  @state() private copied = '';
  /** The offer came in the URL: the answer QR goes first and fills the screen. */
  @state() private fromLink = false;
  /** The screen stays on while the answer QR waits for the Pi's camera. */
  private readonly wakeLock = new WakeLockController(this);

  override connectedCallback(): void {
    super.connectedCallback();
    const query = new URLSearchParams(window.location.search);
    this.bridge ||= query.get('bridge') ?? '';
    this.decoder ||= query.get('decoder') ?? '';
    this.transport ||= query.get('transport') ?? '';
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

  /** A code from the paste box or the scanner (which decoded it already): the Pi's offer, or its answer to ours. */
  private take(text: string, decoded?: DecodedBlob): void {
    const expect = this.direction === 'answer' ? 'offer' : 'answer';
    this.pasted = text;
    this.pasteError = '';
    if (text.trim() === '') return;
    let blob: DecodedBlob;
    try {
      blob = decoded ?? decodeBlob(text, { expect });
    } catch (error) {
      this.pasteError = viewerErrorOf(error, 'E_INTERNAL').message;
      return;
    }
    if (expect === 'answer') {
      if (text !== this.piAnswer?.text) this.piAnswer = { text, blob };
      return;
    }
    if (text === this.offer) return;
    this.mine = undefined;
    this.connected = false;
    this.copied = '';
    this.offer = text;
    this.taken = { text, blob };
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
    this.taken = undefined;
    this.pasted = '';
    this.pasteError = '';
    this.mine = undefined;
    this.piAnswer = undefined;
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
              .bridge=${this.bridge}
              .decoder=${this.decoder}
              .transport=${this.transport}
              .offer=${this.taken?.text === this.offer ? this.taken.blob : this.offer}
              .answer=${this.piAnswer?.blob ?? ''}
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
      <qr-scan expect=${offering ? 'answer' : 'offer'} @scan=${(e: CustomEvent<ScanDetail>) => this.take(e.detail.text, e.detail.blob)}></qr-scan>
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

/** A code as given and as decoded, once. */
interface Taken {
  text: string;
  blob: DecodedBlob;
}

declare global {
  interface HTMLElementTagNameMap {
    'pigeon-app': PigeonApp;
  }
}
