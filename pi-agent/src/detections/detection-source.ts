// Where --detections SPEC comes from, as one source of DetectionSets:
//
//   PATH            a FIFO or a growing file: JSON lines, or hailoexportfile's JSON array (detection-file.ts)
//   zmq:ENDPOINT    a ZeroMQ PUB such as hailoexportzmq: tcp://HOST:PORT or ipc://PATH (zmtp-sub.ts)
//   unix:PATH       a unix stream socket the agent listens on, a line per message (unix-input.ts)
//
// Each message is Pigeon's own or Hailo's HailoROI JSON, told apart one by one (detection-message.ts).
// A flood is capped before anything is parsed: past BUDGET a second the rest are dropped and
// counted, with one `skipped` for the flood. A bad message is a `skipped` with its reason; nothing
// here throws once started.
import { EventEmitter } from 'node:events';
import { MAX_MESSAGE_CHARS, type Box } from '@pigeon/signal';
import { decodeDetections } from './detection-message.ts';
import { DetectionFile, type MessageInput } from './detection-file.ts';
import type { DetectionSet } from './detection-set.ts';
import { DetectionError, type DetectionErrorCode } from '../core/errors.ts';
import { MessageBudget } from '../core/message-budget.ts';
import { UnixInput } from './unix-input.ts';
import { ZmqSubscriber } from './zmtp-sub.ts';

export type { DetectionSet } from './detection-set.ts';
export type { FrameRef } from './frame-ref.ts';

/** Sets a second, on average and at once: a detector at frame rate on a couple of streams. */
export const BUDGET = { perSecond: 120, burst: 120 };
/** The boxes' share of one data-channel message; the rest of it is the envelope (type, time, rtpTimestamp). */
const BOXES_CHARS = MAX_MESSAGE_CHARS - 256;

export interface DetectionSourceEvents {
  set: [set: DetectionSet];
  /** `code`: E_DETECTIONS (a bad message), E_TOO_LARGE, E_DETECTIONS_FLOOD, E_DETECTIONS_SPEC (cannot listen). */
  skipped: [what: string, reason: string, code: DetectionErrorCode];
}

export class DetectionSource extends EventEmitter<DetectionSourceEvents> {
  /** Messages dropped unread in floods, since start. */
  dropped = 0;
  private trimmedOnce = false;
  private readonly budget = new MessageBudget(BUDGET.perSecond, BUDGET.burst);

  constructor(
    readonly spec: string,
    readonly input: MessageInput,
  ) {
    super();
    input.on('message', (text) => this.message(text));
    input.on('skipped', (what, reason, code) => this.emit('skipped', what, reason, code));
  }

  /** Starts reading, once whoever takes the sets listens. */
  start(): void {
    this.input.start();
  }

  close(): void {
    this.input.close();
  }

  private message(text: string): void {
    const verdict = this.budget.take();
    if (verdict !== 'take') {
      this.dropped++;
      if (verdict === 'refuse') this.emit('skipped', 'messages', `a flood: over ${BUDGET.perSecond} a second; the rest are dropped unread until it slows`, 'E_DETECTIONS_FLOOD');
      return;
    }
    let set: DetectionSet;
    try {
      set = decodeDetections(text);
    } catch (error) {
      this.emit('skipped', text.slice(0, 200), error instanceof Error ? error.message : String(error), 'E_DETECTIONS');
      return;
    }
    this.emit('set', { ...set, boxes: this.fit(set.boxes) });
  }

  /** The boxes, as many as fit one data-channel message (in the detector's order); said once per source. */
  private fit(boxes: Box[]): Box[] {
    let chars = 2;
    for (let i = 0; i < boxes.length; i++) {
      chars += JSON.stringify(boxes[i]).length + 1;
      if (chars <= BOXES_CHARS) continue;
      if (!this.trimmedOnce) {
        this.trimmedOnce = true;
        this.emit('skipped', `${boxes.length - i} of ${boxes.length} boxes`, `more than one data-channel message holds (${MAX_MESSAGE_CHARS} characters); sets this large are cut to fit`, 'E_TOO_LARGE');
      }
      return boxes.slice(0, i);
    }
    return boxes;
  }
}

/** The source for a --detections SPEC. Throws DetectionError (E_DETECTIONS_SPEC) for one that cannot work. */
export function openDetections(spec: string): DetectionSource {
  return new DetectionSource(spec, inputOf(spec));
}

function inputOf(spec: string): MessageInput {
  if (spec.startsWith('zmq:')) return new ZmqSubscriber(spec.slice('zmq:'.length));
  if (spec.startsWith('unix:')) {
    const path = spec.slice('unix:'.length);
    if (path === '') throw new DetectionError('E_DETECTIONS_SPEC', '--detections unix:PATH needs a PATH');
    return new UnixInput(path);
  }
  if (spec === '') throw new DetectionError('E_DETECTIONS_SPEC', '--detections needs a PATH, zmq:ENDPOINT or unix:PATH');
  return new DetectionFile(spec.startsWith('file:') ? spec.slice('file:'.length) : spec);
}
