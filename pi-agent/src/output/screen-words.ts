// What the Pi's screen says beside the QR (--display), in words a person standing at it acts on:
// what to do with the code, how many watch, and the latest things that happened — every refusal
// first among them, since the person whose answer was refused is the one looking.
import type { ShownEvent } from '../core/events.ts';

/** How many past happenings the screen keeps, newest first. */
const HISTORY = 5;

/** A refusal as the person who caused it should read it; the agent's own reason when none fits better. */
export function refusalWords(code: string, reason: string): string {
  switch (code) {
    case 'E_OFFER_EXPIRED':
      return 'That answer was for an expired code - scan the new one.';
    case 'E_OFFER_USED':
      return 'That answer was already used - scan the code shown now.';
    case 'E_OFFER_UNKNOWN':
      return 'That answer is for a code this Pi did not show (another Pi?) - scan this one.';
    case 'E_NO_OFFER_ID':
      return 'That answer does not say which code it answers - scan this code with the Pigeon page.';
    case 'E_DTLS_FINGERPRINT':
      return 'That answer did not match the browser that made it (mistaken or forged) - scan the new code.';
    case 'E_FULL':
      return 'The Pi has all the viewers it takes - wait for one to leave.';
    case 'E_EXPECTED_ANSWER':
      return 'That was an offer, not an answer - scan this code with the page, then show its answer.';
    case 'E_CODEC_MISMATCH':
    case 'E_NO_VIDEO':
      return 'That browser cannot play this video - try another browser.';
    case 'E_NEWER_VERSION':
      return 'That page is newer than this Pi - update the Pi\'s agent.';
    case 'E_NOT_PIGEON':
    case 'E_CHECKSUM':
    case 'E_TRUNCATED':
    case 'E_MALFORMED':
      return 'That was not a whole Pigeon answer - show or send it again.';
    default:
      return `Refused (${code}): ${reason}.`;
  }
}

function clock(at: Date): string {
  return at.toTimeString().slice(0, 5);
}

export class ScreenWords {
  private instruction = 'Starting the camera...';
  private watching = 0;
  private readonly history: string[] = [];
  private answerWays = 'show the page\'s answer';

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Takes in one event; true when the screen's words changed. */
  follow(event: ShownEvent): boolean {
    switch (event.type) {
      case 'answers-from':
        this.answerWays = [...(event.camera ? ['show its answer QR to the camera'] : []), ...(event.stdin ? ['paste its answer'] : []), ...(event.file ? [`write its answer into ${event.file}`] : [])].join(' or ') || 'no way for an answer to reach this Pi: see its log';
        return false;
      case 'offer':
        this.instruction = `${event.link ? 'Scan this code with a phone\'s camera' : 'Scan this code with the Pigeon page'}, then ${this.answerWays}. Valid until ${clock(event.expiresAt)}.`;
        return true;
      case 'refused':
        // Detection lines are the Hailo side's, not a person's doing.
        return event.code === 'E_DETECTIONS' ? false : this.happened(refusalWords(event.code, event.reason));
      case 'viewer-joined':
        this.watching = event.viewers;
        return this.happened(`Viewer #${event.viewer} joined.`);
      case 'viewer-left':
        this.watching = event.viewers;
        return this.happened(`Viewer #${event.viewer} left: ${event.reason}.`);
      case 'offer-expired':
        return this.happened('The code expired unused - here is a new one.');
      case 'offer-remade':
        return this.happened('The Pi\'s network changed - scan the new code.');
      case 'pipeline':
        return event.state === 'restarting' ? this.happened('The camera stopped; restarting it. Viewers stay connected.') : false;
      case 'network-changed':
        return this.happened(`The Pi's network changed (now ${event.addresses.filter((a) => !a.includes(':')).join(', ') || 'no address'}).`);
      case 'stopped':
        this.instruction = 'Stopped.';
        return true;
      default:
        return false;
    }
  }

  /** The screen's paragraphs: what to do, how many watch, a blank line, then what happened, newest first. */
  paragraphs(): string[] {
    return [this.instruction, `${this.watching} watching.`, '', ...this.history];
  }

  private happened(words: string): boolean {
    this.history.unshift(`${clock(this.now())} ${words}`);
    this.history.length = Math.min(this.history.length, HISTORY);
    return true;
  }
}
