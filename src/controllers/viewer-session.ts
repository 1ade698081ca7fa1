import type { ReactiveControllerHost } from 'lit';
import { Emitter } from '../events/emitter.ts';
import type { RefusalDetail, SettingsDetail, TelemetryDetail, ViewerErrorDetail, ViewerStats } from '../events/index.ts';
import type { EncodedBlob, ViewerMessage } from '../signal/index.ts';
import type { TransportChannel, TransportKind } from '../transport/transport.ts';
import { AgentChannelController, type AgentView, type DetectionsMessage } from './agent-channel.ts';
import { ConnectionController, type GivenBlob, type ConnectionView } from './connection-controller.ts';
import { StatsSampler } from './stats-sampler.ts';

/** Everything `<pigeon-viewer>` shows, read at one moment; nothing in it is changed afterwards. */
export interface ViewerSnapshot extends ConnectionView, AgentView {
  readonly stats: ViewerStats | undefined;
  /** The agent's channel on the current connection, open or not. */
  readonly channel: TransportChannel | undefined;
  readonly channelOpen: boolean;
}

/** What a viewer session tells its element, which fires them as DOM events. */
export interface SessionEvents {
  answer: EncodedBlob;
  offer: EncodedBlob;
  connected: null;
  error: ViewerErrorDetail;
  stats: ViewerStats;
  telemetry: TelemetryDetail;
  settings: SettingsDetail;
  detections: DetectionsMessage;
  refusal: RefusalDetail;
}

/**
 * One viewer's side of Pigeon, built in dependency order: the connection (and its hand-over),
 * the agent channel that speaks the protocol over the connection's channel, and the sampler of
 * the connection's video. Every wire between them is one subscription below.
 */
export class ViewerSession extends Emitter<SessionEvents> {
  private readonly connection: ConnectionController;
  private readonly agent: AgentChannelController;
  private readonly sampler: StatsSampler;

  constructor(host: ReactiveControllerHost, kind: TransportKind) {
    super();
    const connection = (this.connection = new ConnectionController(host, kind));
    const agent = (this.agent = new AgentChannelController(host));
    const sampler = (this.sampler = new StatsSampler(host));

    connection.on('channel', (channel) => agent.attach(channel));
    connection.on('closing', () => agent.reset());
    connection.on('live', (transport) => sampler.watch(transport));
    agent.on('closed', () => connection.channelClosed());
    agent.on('bye', (reason) => connection.agentStopped(reason));
    agent.on('offer', (offer) => void connection.renegotiate(offer, agent));

    connection.on('answer', (blob) => this.emit('answer', blob));
    connection.on('offer', (blob) => this.emit('offer', blob));
    connection.on('connected', () => this.emit('connected', null));
    connection.on('error', (error) => this.emit('error', error));
    sampler.on('stats', (stats) => this.emit('stats', stats));
    agent.on('telemetry', (telemetry) => this.emit('telemetry', telemetry));
    agent.on('settings', (settings) => this.emit('settings', settings));
    agent.on('detections', (detections) => this.emit('detections', detections));
    agent.on('refusal', (refusal) => this.emit('refusal', refusal));
    connection.on('refusal', (refusal) => this.emit('refusal', refusal));
  }

  snapshot(): ViewerSnapshot {
    return { ...this.connection.view, ...this.agent.view, stats: this.sampler.stats, channel: this.agent.current, channelOpen: this.agent.open };
  }

  answer(offer: GivenBlob): Promise<void> {
    return this.connection.answer(offer);
  }

  offer(): Promise<void> {
    return this.connection.offer();
  }

  acceptAnswer(answer: GivenBlob): Promise<void> {
    return this.connection.acceptAnswer(answer);
  }

  reconnect(): Promise<void> {
    return this.connection.reconnect(this.agent);
  }

  send(message: ViewerMessage): boolean {
    return this.agent.send(message);
  }

  close(): void {
    this.connection.close();
  }
}
