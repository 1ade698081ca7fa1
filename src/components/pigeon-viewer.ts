import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { DetectionsController } from '../controllers/detections-controller.ts';
import { PeerController, type PeerStatus } from '../controllers/peer-controller.ts';
import {
  answerEvent,
  connectedEvent,
  offerEvent,
  errorEvent,
  settingsEvent,
  statsEvent,
  telemetryEvent,
  type TelemetryDetail,
  type ViewerErrorDetail,
  type ViewerStats,
} from '../events/index.ts';
import type { Box, StreamLimits, StreamSettings } from '../signal/index.ts';

/** `m:ss` of a wait, as a person reads it. */
function clock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

const STATUS_TEXT: Record<PeerStatus, string> = {
  idle: 'Waiting for the Pi’s code',
  answering: 'Preparing the answer…',
  offering: 'Preparing this page’s offer…',
  waiting: 'Waiting for the Pi to read the answer…',
  // Chromium starts its checks as soon as the answer exists, before the Pi has it.
  connecting: 'Waiting for the Pi to read the answer…',
  connected: 'Connected',
  disconnected: 'Connection interrupted, trying to recover…',
  failed: 'Not connected',
  closed: 'Closed',
};

/**
 * Watches one Pi: give it the Pi's offer, hand the `answer` event's blob back to the Pi, and the
 * video plays. Holds its own RTCPeerConnection (no STUN/TURN, non-trickle). Embeddable without
 * the rest of the Pigeon page.
 *
 * ```html
 * <pigeon-viewer offer="pigeon:…"></pigeon-viewer>
 * ```
 *
 * @fires answer - `CustomEvent<AnswerDetail>`: the answer blob (`text`, `bytes`, `offerId`) to give
 *   to the Pi, once ICE gathering is complete. Bubbles, composed.
 * @fires offer - `CustomEvent<OfferDetail>`: after `createOffer()`, this viewer's own offer for
 *   `pi-agent answer`, once ICE gathering is complete. Bubbles, composed.
 * @fires connected - `CustomEvent<null>`: the Pi is reached; video follows. Bubbles, composed.
 * @fires stats - `CustomEvent<ViewerStats>`: about once a second while connected. Bubbles, composed.
 * @fires telemetry - `CustomEvent<TelemetryDetail>`: the agent's own report (pipeline fps, encoder
 *   bitrate, viewers, CPU, SoC temperature), about once a second over the data channel. Bubbles, composed.
 * @fires settings - `CustomEvent<SettingsDetail>`: the encoder's settings changed (by this viewer
 *   when `mine`, else by viewer `by`). Bubbles, composed.
 * @fires error - `CustomEvent<ViewerErrorDetail>`: a bad offer (`E_CHECKSUM`, `E_EXPECTED_OFFER` …,
 *   see SignalErrorCode) or a connection failure (`E_ICE_FAILED`, `E_DISCONNECTED`, `E_WEBRTC`).
 *   Does not bubble (a bubbling `error` would reach `window.onerror`): listen on the element.
 * @csspart video - the `<video>`
 * @csspart status - the connection state line, always shown
 * @csspart stats - the stats overlay
 * @csspart detections - the canvas the agent's detection boxes are drawn on, over the video
 * @csspart quality - the Quality panel (bitrate, resolution, frame rate within the agent's limits)
 */
@customElement('pigeon-viewer')
export class PigeonViewer extends LitElement {
  static override styles = css`
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
    video {
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

  /** The Pi's offer, a `pigeon:` blob. Setting it (again) starts a new connection. */
  @property() offer = '';

  /**
   * The Pi's answer to this viewer's own offer (see `createOffer()`), a `pigeon:` blob. A wrong
   * one shows its error and leaves the offer standing, so the right one can still be given.
   */
  @property() answer = '';

  /** Hides the agent's detection boxes drawn over the video; the Boxes button toggles it. */
  @property({ type: Boolean, reflect: true, attribute: 'detections-hidden' }) detectionsHidden = false;

  /** Hides the stats overlay; the overlay's own button toggles it. */
  @property({ type: Boolean, reflect: true, attribute: 'stats-hidden' }) statsHidden = false;

  private readonly peer = new PeerController(this, {
    onAnswer: (detail) => this.dispatchEvent(answerEvent(detail)),
    onOffer: (detail) => this.dispatchEvent(offerEvent(detail)),
    onConnected: () => this.dispatchEvent(connectedEvent()),
    onStats: (detail) => this.dispatchEvent(statsEvent(detail)),
    onError: (detail) => this.dispatchEvent(errorEvent(detail)),
    onTelemetry: (detail) => this.dispatchEvent(telemetryEvent(detail)),
    onSettings: (detail) => {
      const what = settingsText(detail.settings);
      this.notice = detail.mine || detail.by === undefined ? `Quality changed: ${what}` : `Quality changed by viewer #${detail.by}: ${what}`;
      this.dispatchEvent(settingsEvent(detail));
    },
    onDetections: (message) => this.detections.add(message),
  });

  private readonly detections = new DetectionsController(this);

  @query('.stage') private stage!: HTMLElement;

  /** The last quality change, said once. */
  @state() private notice = '';
  @state() private qualityOpen = false;

  /** Connection state: `idle`, `answering`, `waiting`, `connecting`, `connected`, `disconnected`, `failed`, `closed`. */
  get status(): PeerStatus {
    return this.peer.status;
  }

  /** The agent's 'pigeon' data channel once it is open, for messages to the agent. */
  get channel(): RTCDataChannel | undefined {
    return this.peer.channel;
  }

  /** The agent's latest telemetry over the data channel. */
  get telemetry(): TelemetryDetail | undefined {
    return this.peer.telemetry;
  }

  /** What the agent's encoder makes now (from its hello, then each change). */
  get settings(): StreamSettings | undefined {
    return this.peer.settings;
  }

  /** What this viewer may ask for, as the agent's options allow. */
  get limits(): StreamLimits | undefined {
    return this.peer.limits;
  }

  /** The last error, if the viewer stopped on one. */
  get error(): ViewerErrorDetail | undefined {
    return this.peer.error;
  }

  /**
   * The other way round, for `pi-agent answer`: makes this viewer's own offer (fired as `offer`);
   * then set `answer` to the Pi's answer. Replaces any connection there was.
   */
  createOffer(): Promise<void> {
    this.detections.clear();
    return this.peer.offer();
  }

  /**
   * Reconnects without a new QR code, e.g. after a Wi-Fi roam or an address change: a fresh
   * connection (new ICE credentials and candidates) whose offer and answer travel over the data
   * channel as compact blobs; the video keeps playing on the old connection until the new one
   * takes over. Resolves when it has (or has failed); a failure shows (`E_RESTART`) and fires
   * `error`, never rejects.
   */
  reconnect(): Promise<void> {
    return this.peer.reconnect();
  }

  /** Asks the agent for a keyframe now (e.g. after a glitch). False when the data channel is not open. */
  requestKeyframe(): boolean {
    return this.peer.send({ v: 1, type: 'keyframe' });
  }

  /**
   * Asks the agent for another quality, kept within its `limits` (the agent clamps too). The
   * answer comes as a `settings` event, to every viewer. False when the data channel is not open.
   */
  setQuality(ask: Partial<StreamSettings>): boolean {
    const limits = this.peer.limits;
    const clamp = (value: number | undefined, low: number, high: number): number | undefined =>
      value === undefined || !Number.isFinite(value) ? undefined : Math.min(high, Math.max(low, value));
    const bitrate = limits ? clamp(ask.bitrate, limits.minBitrate, limits.maxBitrate) : ask.bitrate;
    const width = limits ? clamp(ask.width, 16, limits.maxWidth) : ask.width;
    const height = limits ? clamp(ask.height, 16, limits.maxHeight) : ask.height;
    const fps = limits ? clamp(ask.fps, 1, limits.maxFps) : ask.fps;
    return this.peer.send({
      v: 1,
      type: 'set',
      ...(bitrate === undefined ? {} : { bitrate: Math.round(bitrate) }),
      ...(width === undefined ? {} : { width: Math.round(width) }),
      ...(height === undefined ? {} : { height: Math.round(height) }),
      ...(fps === undefined ? {} : { fps }),
    });
  }

  /** The detection boxes drawn over the current frame (none while hidden). */
  get drawnDetections(): readonly Box[] {
    return this.detections.drawn;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('offer')) {
      this.detections.clear();
      this.notice = '';
      if (this.offer.trim() !== '') void this.peer.accept(this.offer);
      // Only an offer taken away closes: a first render with none must not end a createOffer().
      else if (changed.get('offer')) this.peer.close();
    }
    if (changed.has('answer') && this.answer.trim() !== '') void this.peer.acceptAnswer(this.answer);
  }

  protected override updated(): void {
    this.detections.hidden = this.detectionsHidden;
    this.detections.attach(this.renderRoot.querySelector('video') ?? undefined, this.renderRoot.querySelector<HTMLCanvasElement>('canvas.detections') ?? undefined);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Reattached after a move: the controller closed the old connection, so answer again.
    if (this.hasUpdated && this.offer.trim() !== '' && this.peer.status === 'closed') void this.peer.accept(this.offer);
  }

  override render() {
    const { status, stream, error } = this.peer;
    return html`
      <div class="stage">
        <div class="picture">
        <!-- No <video> before the Pi is reached: an empty one held Chromium's load event back. -->
        ${stream && this.peer.connectedOnce
          ? html`<video part="video" aria-label="Video from the Pi" .srcObject=${stream} autoplay muted playsinline></video>
              <canvas class="detections" part="detections" role="img" aria-label="No detections" ?hidden=${this.detectionsHidden}></canvas>`
          : error
            ? html`<p class="error" role="alert" data-code=${error.code}>${error.message}</p>`
            : html`<p class="placeholder">
                ${this.peer.role === 'offerer' ? 'The video appears here once this page has the Pi’s answer.' : 'The video appears here once the Pi has the answer.'}
                ${this.peer.waitingSince === undefined
                  ? nothing
                  : html`<br /><small class="hint"
                        >${this.peer.role === 'offerer'
                          ? 'Take your time: this page waits for the Pi’s answer as long as it stays open; the Pi keeps its answer for 10 minutes.'
                          : 'Take your time: the Pi’s code lasts 10 minutes from when it appeared, and this page waits that long.'}</small
                      >`}
              </p>`}
        <p class="status" part="status" role="status" data-status=${status}>${this.statusText(status)}</p>
        ${this.statsHidden || status !== 'connected' ? nothing : this.renderStats(this.peer.stats, this.peer.telemetry)}
        ${this.notice && status === 'connected' ? html`<p class="notice" aria-live="polite">${this.notice}</p>` : nothing}
        </div>
        <div class="controls">
          ${this.detections.seen
            ? html`<button type="button" aria-pressed=${this.detectionsHidden ? 'false' : 'true'} @click=${this.toggleDetections}>Boxes</button>`
            : nothing}
          ${this.peer.hello && (status === 'connected' || status === 'disconnected') && this.peer.channel?.readyState === 'open'
            ? html`<button type="button" ?disabled=${this.peer.restarting} @click=${this.reconnect}>
                ${this.peer.restarting ? 'Reconnecting…' : 'Reconnect'}
              </button>`
            : nothing}
          ${this.peer.hello && status === 'connected'
            ? html`<button type="button" @click=${this.requestKeyframe}>Keyframe</button>
                <button type="button" aria-expanded=${this.qualityOpen ? 'true' : 'false'} aria-controls="quality" @click=${this.toggleQuality}>
                  Quality
                </button>`
            : nothing}
          <button type="button" aria-pressed=${this.statsHidden ? 'false' : 'true'} @click=${this.toggleStats}>Stats</button>
          ${document.fullscreenEnabled ? html`<button type="button" @click=${this.fullscreen}>Fullscreen</button>` : nothing}
        </div>
        ${this.qualityOpen && status === 'connected' && this.peer.settings && this.peer.limits ? this.renderQuality(this.peer.settings, this.peer.limits) : nothing}
      </div>
      ${error && (this.peer.connectedOnce || status !== 'failed') ? html`<p class="error" role="alert" data-code=${error.code}>${error.message}</p>` : nothing}
      ${this.peer.hello
        ? html`<p class="hello">Data channel open: ${this.peer.hello.agent} says hello (viewer #${this.peer.hello.viewer}).</p>`
        : nothing}
    `;
  }

  private statusText(status: PeerStatus): string {
    if (this.peer.restarting) return 'Reconnecting over the data channel…';
    const since = this.peer.waitingSince;
    const waited = since === undefined ? '' : ` · ${clock(Date.now() - since)}`;
    if (status === 'disconnected' && !this.peer.connectedOnce) return `The Pi stopped answering; waiting in case it comes back…${waited}`;
    if (this.peer.role === 'offerer' && (status === 'waiting' || (status === 'connecting' && !this.answer))) {
      // The Pi refuses an offer without its codec on its own screen only: say what this one holds.
      const codecs = this.peer.offeredCodecs?.map((n) => (n === 'H264' ? 'H.264' : n)).join(' and ');
      return `Waiting for the Pi’s answer…${waited}${codecs ? ` (this page offered ${codecs}; a Pi that sends another codec refuses it)` : ''}`;
    }
    return status === 'waiting' || status === 'connecting' ? `${STATUS_TEXT[status]}${waited}` : STATUS_TEXT[status];
  }

  private renderStats(stats: ViewerStats | undefined, telemetry: TelemetryDetail | undefined) {
    const s = stats;
    const show = (value: number | null | undefined, unit = '', digits = 0): string => (value == null ? '–' : `${value.toFixed(digits)}${unit}`);
    return html`<dl class="stats" part="stats" aria-label="Connection statistics">
      <dt>resolution</dt>
      <dd>${s?.width && s.height ? `${s.width}×${s.height}` : '–'}</dd>
      <dt>fps</dt>
      <dd>${show(s?.fps)}</dd>
      <dt>bitrate</dt>
      <dd>${show(s?.kbps, ' kbit/s')}</dd>
      <dt>RTT</dt>
      <dd>${show(s?.rttMs, ' ms', 1)}</dd>
      <dt>lost</dt>
      <dd>${show(s?.packetsLost)}</dd>
      ${telemetry
        ? html`<dt class="agent">Pi fps</dt>
            <dd class="agent" data-key="fps">${show(telemetry.fps)}</dd>
            <dt>Pi bitrate</dt>
            <dd data-key="kbps">${show(telemetry.kbps, ' kbit/s')}</dd>
            <dt>viewers</dt>
            <dd data-key="viewers">${telemetry.viewers}</dd>
            <dt>Pi CPU</dt>
            <dd data-key="cpu">${show(telemetry.cpu, ' %', 1)}</dd>
            ${telemetry.tempC === undefined
              ? nothing
              : html`<dt>SoC temp</dt>
                  <dd data-key="tempC">${show(telemetry.tempC, ' °C', 1)}</dd>`}`
        : nothing}
    </dl>`;
  }

  private renderQuality(now: StreamSettings, limits: StreamLimits) {
    const sizes = RESOLUTIONS.filter(([w, h]) => w <= limits.maxWidth && h <= limits.maxHeight);
    if (!sizes.some(([w, h]) => w === now.width && h === now.height)) sizes.push([now.width, now.height]);
    sizes.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
    const rates = FRAME_RATES.filter((f) => f <= limits.maxFps);
    if (!rates.includes(now.fps)) rates.push(now.fps);
    rates.sort((a, b) => a - b);
    return html`<form id="quality" class="quality" part="quality" aria-label="Quality" @submit=${this.applyQuality}>
      <label
        >Bitrate <output name="shown">${now.bitrate} kbit/s</output>
        <input
          name="bitrate"
          type="range"
          min=${limits.minBitrate}
          max=${limits.maxBitrate}
          step="50"
          .value=${String(now.bitrate)}
          @input=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            (input.form!.elements.namedItem('shown') as HTMLOutputElement).value = `${input.value} kbit/s`;
          }}
      /></label>
      <label
        >Resolution
        <select name="size">
          ${sizes.map(([w, h]) => html`<option value="${w}x${h}" ?selected=${w === now.width && h === now.height}>${w}×${h}</option>`)}
        </select></label
      >
      <label
        >Frame rate
        <select name="fps">
          ${rates.map((f) => html`<option value=${f} ?selected=${f === now.fps}>${f} fps</option>`)}
        </select></label
      >
      <button type="submit">Apply</button>
    </form>`;
  }

  private applyQuality(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const [width, height] = String(data.get('size')).split('x').map(Number);
    this.setQuality({ bitrate: Number(data.get('bitrate')), width, height, fps: Number(data.get('fps')) });
    this.qualityOpen = false;
  }

  private toggleQuality(): void {
    this.qualityOpen = !this.qualityOpen;
  }

  private toggleDetections(): void {
    this.detectionsHidden = !this.detectionsHidden;
  }

  private toggleStats(): void {
    this.statsHidden = !this.statsHidden;
  }

  private fullscreen(): void {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void this.stage.requestFullscreen().catch(() => undefined);
  }
}

/** Offered where the agent's limits allow them (4:3 and 16:9, as cameras make them). */
const RESOLUTIONS: [number, number][] = [
  [320, 240],
  [640, 360],
  [640, 480],
  [1280, 720],
  [1920, 1080],
];
const FRAME_RATES = [5, 10, 15, 24, 30, 60];

function settingsText(s: StreamSettings): string {
  return `${s.width}×${s.height} at ${s.fps} fps, ${s.bitrate} kbit/s`;
}

declare global {
  interface HTMLElementTagNameMap {
    'pigeon-viewer': PigeonViewer;
  }
}
