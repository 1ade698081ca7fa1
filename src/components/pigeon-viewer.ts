import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { GivenBlob, PeerStatus } from '../controllers/connection-controller.ts';
import { DetectionsController } from '../controllers/detections-controller.ts';
import { ViewerSession, type ViewerSnapshot } from '../controllers/viewer-session.ts';
import {
  answerEvent,
  connectedEvent,
  detectionsEvent,
  errorEvent,
  offerEvent,
  refusalEvent,
  settingsEvent,
  statsEvent,
  telemetryEvent,
  type TelemetryDetail,
  type ViewerErrorDetail,
  type ViewerStats,
} from '../events/index.ts';
import type { Box, StreamLimits, StreamSettings } from '../signal/index.ts';
import { decoderPreference } from '../transport/bridge-playback.ts';
import { chooseTransport, transportPreference } from '../transport/choose.ts';
import type { TransportChannel, VideoFeed } from '../transport/transport.ts';
import { detectionsFilter, type DetectionsFilter } from './detections-filter.ts';
import { viewerStyles } from './pigeon-viewer.styles.ts';
import { clampQuality, qualityPanel, settingsText } from './quality-panel.ts';
import { placeholderText, statusText } from './viewer-status.ts';
import { statsOverlay } from './viewer-stats.ts';

/**
 * Watches one Pi: give it the Pi's offer, hand the `answer` event's blob back to the Pi, and the
 * video plays. Holds its own RTCPeerConnection (no STUN/TURN, non-trickle) wherever the engine has
 * WebRTC, even when `bridge` names a bridge too; where it has none (WebKitGTK, Tauri's Linux
 * webview), or where `transport="bridge"` forces it, the video comes through the `pigeon-bridge`
 * that `bridge` names and is decoded with WebCodecs onto a `<canvas>`, or, without
 * WebCodecs (or with `decoder="mse"`), played through Media Source Extensions in a `<video>`
 * (docs/bridge.md). Embeddable without the rest of the Pigeon page.
 *
 * ```html
 * <pigeon-viewer offer="pigeon:…"></pigeon-viewer>
 * <pigeon-viewer bridge="ws://127.0.0.1:41231/…" offer="pigeon:…"></pigeon-viewer>
 * <pigeon-viewer transport="bridge" bridge="ws://127.0.0.1:41231/…" offer="pigeon:…"></pigeon-viewer>
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
 *   see SignalErrorCode) or a connection failure (`E_ICE_FAILED`, `E_DISCONNECTED`, `E_WEBRTC` …,
 *   see ConnectionErrorCode). Does not bubble (a bubbling `error` would reach `window.onerror`):
 *   listen on the element.
 * @fires refusal - `CustomEvent<RefusalDetail>`: a message refused between this viewer and the agent (`by`:
 *   `agent`, `viewer`) or a request the bridge refused (`bridge`), with its code; the connection goes on. Bubbles, composed.
 * @csspart video - the `<video>`, or the `<canvas>` the bridge's frames are drawn on (a `<video>` again when they play through MSE)
 * @csspart status - the connection state line, always shown
 * @csspart stats - the stats overlay
 * @fires detections - `CustomEvent<DetectionsDetail>`: each set of boxes the agent sends, as it came (labels,
 *   confidences, class and tracking ids, sub-labels), before this viewer's own label and confidence filter
 * @csspart detections-filter - the label picker and confidence slider beside the Boxes button
 * @csspart detections - the canvas the agent's detection boxes are drawn on, over the video
 * @csspart quality - the Quality panel (bitrate, resolution, frame rate within the agent's limits)
 */
@customElement('pigeon-viewer')
export class PigeonViewer extends LitElement {
  static override styles = viewerStyles;

  /**
   * The Pi's offer: a `pigeon:` blob as text (the attribute), or already decoded (the page hands
   * over what its paste box or scanner decoded). Setting it (again) starts a new connection.
   */
  @property() offer: GivenBlob = '';

  /**
   * The Pi's answer to this viewer's own offer (see `createOffer()`), as text or decoded. A wrong
   * one shows its error and leaves the offer standing, so the right one can still be given.
   */
  @property() answer: GivenBlob = '';

  /**
   * A `pigeon-bridge` URL (`ws://127.0.0.1:PORT/SECRET`, as it prints it): used where the engine
   * has no RTCPeerConnection, or everywhere with `transport="bridge"`. Empty (the default) where
   * the engine has no WebRTC: an error saying to start the bridge. Read when a connection is made;
   * changing it while an offer is given answers that offer again.
   */
  @property() bridge = '';

  /**
   * Which WebRTC: `auto` (the default, also for anything unknown) the engine's own where it has
   * it, else the bridge; `bridge` the bridge even where the engine has WebRTC (e.g. WKWebView in
   * Tauri on macOS), `E_NO_BRIDGE` without a `bridge` URL; `native` never the bridge. Read when a
   * connection is made; changing it while an offer is given answers that offer again.
   */
  @property() transport = '';

  /**
   * How the bridge's frames are shown: `webcodecs` (decoded onto a canvas), `mse` (fragmented MP4
   * through Media Source Extensions in a `<video>`, H.264 only), or anything else (the default):
   * WebCodecs where this engine has it, else MSE. Read when a connection is made.
   */
  @property() decoder = '';

  /** Hides the agent's detection boxes drawn over the video; the Boxes button toggles it. */
  @property({ type: Boolean, reflect: true, attribute: 'detections-hidden' }) detectionsHidden = false;

  /**
   * Only boxes with these labels are drawn (the attribute: comma-separated); empty, the default:
   * all. The label picker next to the Boxes button sets it.
   */
  @property({ attribute: 'detection-labels', converter: { fromAttribute: (value) => (value ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '') } })
  detectionLabels: readonly string[] = [];

  /** Boxes less sure than this (0..1) are not drawn; the slider next to the Boxes button sets it. */
  @property({ type: Number, attribute: 'min-confidence' }) minConfidence = 0;

  /** Hides the stats overlay; the overlay's own button toggles it. */
  @property({ type: Boolean, reflect: true, attribute: 'stats-hidden' }) statsHidden = false;

  // The bridge and the preference are read at each new connection, so setting them later takes effect.
  private readonly session = new ViewerSession(
    this,
    chooseTransport({
      bridgeUrl: () => this.bridge,
      preference: () => transportPreference(this.transport),
      decoder: () => decoderPreference(this.decoder),
    }),
  );
  private readonly detections = new DetectionsController(this);

  @query('.stage') private stage!: HTMLElement;

  /** Redraws the time the status line shows, once a second while a wait (or a lost path) lasts. */
  private clock: ReturnType<typeof setInterval> | undefined;

  /** The last quality change, said once. */
  @state() private notice = '';
  @state() private qualityOpen = false;

  constructor() {
    super();
    const { session } = this;
    session.on('answer', (blob) => this.dispatchEvent(answerEvent(blob)));
    session.on('offer', (blob) => this.dispatchEvent(offerEvent(blob)));
    session.on('connected', () => this.dispatchEvent(connectedEvent()));
    session.on('stats', (stats) => this.dispatchEvent(statsEvent(stats)));
    session.on('error', (error) => this.dispatchEvent(errorEvent(error)));
    session.on('telemetry', (telemetry) => this.dispatchEvent(telemetryEvent(telemetry)));
    session.on('refusal', (refusal) => this.dispatchEvent(refusalEvent(refusal)));
    session.on('detections', (message) => {
      this.detections.add(message);
      const { boxes, rtpTimestamp, time } = message;
      this.dispatchEvent(detectionsEvent({ boxes, ...(rtpTimestamp === undefined ? {} : { rtpTimestamp }), ...(time === undefined ? {} : { time }) }));
    });
    session.on('settings', (detail) => {
      const what = settingsText(detail.settings);
      this.notice = detail.mine || detail.by === undefined ? `Quality changed: ${what}` : `Quality changed by viewer #${detail.by}: ${what}`;
      this.dispatchEvent(settingsEvent(detail));
    });
  }

  /** Connection state: `idle`, `answering`, `offering`, `waiting`, `connecting`, `connected`, `disconnected`, `failed`, `closed`. */
  get status(): PeerStatus {
    return this.session.snapshot().status;
  }

  /** The agent's 'pigeon' data channel once there is one, for messages to the agent. */
  get channel(): TransportChannel | undefined {
    return this.session.snapshot().channel;
  }

  /**
   * The video as it comes: a MediaStream (the browser's WebRTC), or the bridge's encoded frames,
   * which an embedder may also subscribe to (e.g. to record them) while they are drawn.
   */
  get video(): VideoFeed | undefined {
    return this.session.snapshot().video;
  }

  /** The latest sample of the playing video (the `stats` event's detail). */
  get stats(): ViewerStats | undefined {
    return this.session.snapshot().stats;
  }

  /** The agent's latest telemetry over the data channel. */
  get telemetry(): TelemetryDetail | undefined {
    return this.session.snapshot().telemetry;
  }

  /** What the agent's encoder makes now (from its hello, then each change). */
  get settings(): StreamSettings | undefined {
    return this.session.snapshot().settings;
  }

  /** What this viewer may ask for, as the agent's options allow. */
  get limits(): StreamLimits | undefined {
    return this.session.snapshot().limits;
  }

  /** The last error, if the viewer stopped on one. */
  get error(): ViewerErrorDetail | undefined {
    return this.session.snapshot().error;
  }

  /** The detection boxes drawn over the current frame (none while hidden). */
  get drawnDetections(): readonly Box[] {
    return this.detections.drawn;
  }

  /** The RTP timestamp of the frame on screen `drawnDetections` were picked for (undefined when not known). */
  get drawnDetectionsFrame(): number | undefined {
    return this.detections.drawnFor;
  }

  /**
   * The other way round, for `pi-agent answer`: makes this viewer's own offer (fired as `offer`);
   * then set `answer` to the Pi's answer. Replaces any connection there was.
   */
  createOffer(): Promise<void> {
    this.detections.clear();
    return this.session.offer();
  }

  /**
   * Reconnects without a new QR code, e.g. after a Wi-Fi roam or an address change: a fresh
   * connection (new ICE credentials and candidates) whose offer and answer travel over the data
   * channel as compact blobs; the video keeps playing on the old connection until the new one
   * takes over. Resolves when it has (or has failed); a failure shows (`E_RESTART`) and fires
   * `error`, never rejects.
   */
  reconnect(): Promise<void> {
    return this.session.reconnect();
  }

  /** Asks the agent for a keyframe now (e.g. after a glitch). False when the data channel is not open. */
  requestKeyframe(): boolean {
    return this.session.send({ v: 1, type: 'keyframe' });
  }

  /**
   * Asks the agent for another quality, kept within its `limits` (the agent clamps too). The
   * answer comes as a `settings` event, to every viewer. False when the data channel is not open.
   */
  setQuality(ask: Partial<StreamSettings>): boolean {
    return this.session.send({ v: 1, type: 'set', ...clampQuality(ask, this.limits) });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('offer') || ((changed.has('bridge') || changed.has('transport')) && this.hasUpdated && given(this.offer))) {
      this.detections.clear();
      this.notice = '';
      if (given(this.offer)) void this.session.answer(this.offer);
      // Only an offer taken away closes: a first render with none must not end a createOffer().
      else if (changed.get('offer')) this.session.close();
    }
    if (changed.has('answer') && given(this.answer)) void this.session.acceptAnswer(this.answer);
  }

  protected override updated(): void {
    this.detections.hidden = this.detectionsHidden;
    this.detections.labels = this.detectionLabels;
    this.detections.minConfidence = this.minConfidence;
    const frames = this.renderRoot.querySelector<HTMLCanvasElement | HTMLVideoElement>('.frames') ?? undefined;
    const video = this.session.snapshot().video;
    if (video?.kind === 'frames') video.frames.drawOn(frames);
    this.detections.attach(this.renderRoot.querySelector('video') ?? frames, this.renderRoot.querySelector<HTMLCanvasElement>('canvas.detections') ?? undefined);
    this.tick(this.isConnected && counting(this.session.snapshot()));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.tick(false);
  }

  /** Keeps the once-a-second redraw running while `on`. */
  private tick(on: boolean): void {
    if (on && this.clock === undefined) this.clock = setInterval(() => this.requestUpdate(), 1000);
    if (!on && this.clock !== undefined) {
      clearInterval(this.clock);
      this.clock = undefined;
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Reattached after a move: the session closed the old connection, so answer again.
    if (this.hasUpdated && given(this.offer) && this.status === 'closed') void this.session.answer(this.offer);
  }

  override render() {
    const view = this.session.snapshot();
    const { status, error } = view;
    const live = status === 'connected';
    return html`
      <div class="stage">
        <div class="picture">
          ${this.renderPicture(view)}
          <p class="status" part="status" role="status" data-status=${status}>${statusText(view, given(this.answer))}</p>
          ${this.statsHidden || !live ? nothing : statsOverlay(view.stats, view.telemetry)}
          ${this.notice && live ? html`<p class="notice" aria-live="polite">${this.notice}</p>` : nothing}
        </div>
        <div class="controls">${this.renderControls(view)}</div>
        ${this.qualityOpen && live && view.settings && view.limits ? qualityPanel(view.settings, view.limits, this.applyQuality) : nothing}
      </div>
      ${error && (view.connectedOnce || status !== 'failed') ? html`<p class="error" role="alert" data-code=${error.code}>${error.message}</p>` : nothing}
      ${view.hello ? html`<p class="hello">Data channel open: ${view.hello.agent} says hello (viewer #${view.hello.viewer}).</p>` : nothing}
    `;
  }

  /** The video once the Pi is reached; before that, the error or what to expect. */
  private renderPicture(view: ViewerSnapshot) {
    // No <video> before the Pi is reached: an empty one held Chromium's load event back.
    if (view.video && view.connectedOnce) return this.renderVideo(view.video);
    if (view.error) return html`<p class="error" role="alert" data-code=${view.error.code}>${view.error.message}</p>`;
    const { text, hint } = placeholderText(view);
    return html`<p class="placeholder">${text} ${hint === undefined ? nothing : html`<br /><small class="hint">${hint}</small>`}</p>`;
  }

  private renderVideo(feed: VideoFeed) {
    switch (feed.kind) {
      case 'stream':
        return html`<video part="video" aria-label="Video from the Pi" .srcObject=${feed.stream} autoplay muted playsinline></video>
          <canvas class="detections" part="detections" role="img" aria-label="No detections" ?hidden=${this.detectionsHidden}></canvas>`;
      case 'frames':
        // From a bridge: the transport decodes them (WebCodecs) onto this canvas, or plays them (MSE) in this video, given in updated().
        return html`${feed.frames.surface === 'video'
            ? html`<video class="frames" part="video" aria-label="Video from the Pi" autoplay muted playsinline></video>`
            : html`<canvas class="frames" part="video" role="img" aria-label="Video from the Pi"></canvas>`}
          <canvas class="detections" part="detections" role="img" aria-label="No detections" ?hidden=${this.detectionsHidden}></canvas>`;
    }
  }

  private renderControls(view: ViewerSnapshot) {
    const { status, hello } = view;
    return html`${this.detections.seen
      ? html`<button type="button" aria-pressed=${this.detectionsHidden ? 'false' : 'true'} @click=${this.toggleDetections}>Boxes</button>
          ${this.detectionsHidden ? nothing : detectionsFilter(this.detections.seenLabels, { labels: this.detectionLabels, minConfidence: this.minConfidence }, this.filterDetections)}`
      : nothing}
    ${hello && (status === 'connected' || status === 'disconnected') && view.channelOpen
      ? html`<button type="button" ?disabled=${view.restarting} @click=${this.reconnect}>${view.restarting ? 'Reconnecting…' : 'Reconnect'}</button>`
      : nothing}
    ${hello && status === 'connected'
      ? html`<button type="button" @click=${this.requestKeyframe}>Keyframe</button>
          <button type="button" aria-expanded=${this.qualityOpen ? 'true' : 'false'} aria-controls="quality" @click=${this.toggleQuality}>Quality</button>`
      : nothing}
    <button type="button" aria-pressed=${this.statsHidden ? 'false' : 'true'} @click=${this.toggleStats}>Stats</button>
    ${document.fullscreenEnabled ? html`<button type="button" @click=${this.fullscreen}>Fullscreen</button>` : nothing}`;
  }

  private readonly applyQuality = (ask: Partial<StreamSettings>): void => {
    this.setQuality(ask);
    this.qualityOpen = false;
  };

  private toggleQuality(): void {
    this.qualityOpen = !this.qualityOpen;
  }

  private readonly filterDetections = ({ labels, minConfidence }: DetectionsFilter): void => {
    this.detectionLabels = labels;
    this.minConfidence = minConfidence;
  };

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

/** The status line counts a wait: for the Pi with our blob, or for a lost path to come back. */
function counting(view: ViewerSnapshot): boolean {
  return view.waitingSince !== undefined || view.lostSince !== undefined;
}

/** A blob was given: decoded, or text that is not blank. */
function given(blob: GivenBlob): boolean {
  return typeof blob !== 'string' || blob.trim() !== '';
}

declare global {
  interface HTMLElementTagNameMap {
    'pigeon-viewer': PigeonViewer;
  }
}
