import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { viewerError, type AnswerDetail } from '../events/index.ts';
import { decodeBlob, isSignalError } from '../signal/index.ts';
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
  `;

  /** The Pi's offer text being watched; set by a paste or the URL fragment. */
  @property() offer = '';

  @state() private pasted = '';
  @state() private pasteError = '';
  @state() private answer: AnswerDetail | undefined;
  @state() private connected = false;
  @state() private copied = '';

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.readFragment);
    this.readFragment();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.readFragment);
    super.disconnectedCallback();
  }

  /** `#pigeon:…` (a phone's camera app opens the page that way): use it as if pasted. */
  private readonly readFragment = (): void => {
    const fragment = decodeURIComponent(window.location.hash.slice(1));
    if (fragment.includes('pigeon:')) this.take(fragment);
  };

  private onInput(event: Event): void {
    this.take((event.target as HTMLTextAreaElement).value);
  }

  private take(text: string): void {
    this.pasted = text;
    this.pasteError = '';
    if (text.trim() === '') return;
    try {
      decodeBlob(text, { expect: 'offer' });
    } catch (error) {
      this.pasteError = isSignalError(error) ? error.message : `Unexpected error: ${String(error)}`;
      return;
    }
    if (text === this.offer) return;
    this.answer = undefined;
    this.connected = false;
    this.copied = '';
    this.offer = text;
  }

  private onAnswer(event: CustomEvent<AnswerDetail>): void {
    this.answer = event.detail;
  }

  private onViewerError(event: Event): void {
    // The viewer shows the message itself. Once the connection failed the answer is spent (the
    // Pi's offers are single-use), so the page goes back to asking for a fresh code.
    const code = viewerError(event)?.code;
    if (code === 'E_ICE_FAILED' || code === 'E_DISCONNECTED') {
      this.connected = false;
      this.answer = undefined;
    }
  }

  private async copy(): Promise<void> {
    if (!this.answer) return;
    try {
      await navigator.clipboard.writeText(this.answer.text);
      this.copied = 'Copied.';
    } catch {
      const area = this.renderRoot.querySelector<HTMLTextAreaElement>('#answer-text');
      area?.select();
      this.copied = 'Could not copy by itself: the text is selected, copy it with Ctrl+C (or long-press).';
    }
  }

  private startOver(): void {
    this.offer = '';
    this.pasted = '';
    this.pasteError = '';
    this.answer = undefined;
    this.connected = false;
    this.copied = '';
    if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
  }

  override render() {
    const watching = this.offer !== '';
    return html`
      <header>
        <h1>Pigeon</h1>
        <p class="tagline">Watch a Raspberry Pi camera, straight from the Pi: no server, no internet.</p>
      </header>
      ${this.connected ? nothing : this.renderOfferStep()} ${this.answer && !this.connected ? this.renderAnswerStep(this.answer) : nothing}
      ${watching
        ? html`<section aria-labelledby="watch-title">
            <h2 id="watch-title">${this.connected ? 'Live from the Pi' : '3. Watch'}</h2>
            <pigeon-viewer
              .offer=${this.offer}
              @answer=${this.onAnswer}
              @connected=${() => (this.connected = true)}
              @error=${this.onViewerError}
            ></pigeon-viewer>
            <div class="row">
              <button type="button" class="secondary" @click=${this.startOver}>Start over</button>
            </div>
          </section>`
        : nothing}
    `;
  }

  private renderOfferStep() {
    return html`<section aria-labelledby="offer-title">
      <h2 id="offer-title">1. The Pi’s code</h2>
      <qr-scan expect="offer" @scan=${(e: CustomEvent<{ text: string }>) => this.take(e.detail.text)}></qr-scan>
      <p class="or">or</p>
      <label for="offer-text">Paste the code the Pi agent shows (it starts with <code>pigeon:</code>)</label>
      <textarea
        id="offer-text"
        .value=${this.pasted}
        @input=${this.onInput}
        placeholder="pigeon:…"
        spellcheck="false"
        autocomplete="off"
        autocapitalize="off"
        aria-describedby="offer-hint"
        aria-invalid=${this.pasteError ? 'true' : 'false'}
      ></textarea>
      <p class="hint" id="offer-hint">Run <code>pi-agent offer</code> on the Pi. Opening this page with the code after <code>#</code> works too.</p>
      ${this.pasteError ? html`<p class="error" role="alert">${this.pasteError}</p>` : nothing}
    </section>`;
  }

  private renderAnswerStep(answer: AnswerDetail) {
    return html`<section aria-labelledby="answer-title">
      <h2 id="answer-title">2. Give this answer to the Pi</h2>
      <p class="instruction">Paste this into the Pi agent, or hold it up to the Pi’s camera.</p>
      <div class="answer">
        <qr-view .data=${answer.bytes} label="QR code of the answer for the Pi"></qr-view>
        <div>
          <label for="answer-text">Answer as text</label>
          <textarea id="answer-text" readonly .value=${answer.text} spellcheck="false"></textarea>
          <div class="row">
            <button type="button" @click=${this.copy}>Copy answer</button>
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
