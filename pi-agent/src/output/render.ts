// Turns the session's events into what a person or a program reads: QR codes and blobs on stdout
// with status lines on stderr, or (--json) one JSON object per line on stdout and nothing else.
import { renderTerminal, type QrMatrix } from '@pigeon/qr';
import type { AgentEvent, AnswerShown, OfferShown, ShownEvent } from '../core/events.ts';
import type { Io } from '../core/io.ts';
import { lineOf } from './json-line.ts';
import { writeQrPng } from './qr-png.ts';

export interface RenderOptions {
  json: boolean;
  qrPng: string | undefined;
  /** Clear the screen before each QR, so a console shows only the current one. */
  clear: boolean;
  /** The QR is on the Pi's own screen (--display): like --clear, the console must not blank. */
  display: boolean;
}

/**
 * The Linux console's own codes (console_codes(4), what `setterm --blank 0 --powerdown 0` writes):
 * no blanking and no VESA powerdown while a code shows. Other terminals ignore them.
 */
export const NO_BLANKING = '\x1b[9;0]\x1b[14;0]';

type AnswersFrom = Extract<ShownEvent, { type: 'answers-from' }>;

/** How a person gets the page's answer to the agent, in the words of the offer line. */
function answerWays(from: AnswersFrom | undefined, link: boolean): string {
  if (!from) return 'paste the page\'s answer here';
  const ways = [
    ...(from.camera ? ['show the page\'s answer QR to the camera'] : []),
    ...(from.stdin ? [link ? 'paste it here' : 'paste the page\'s answer here'] : []),
    ...(from.file ? [`write it into ${from.file}`] : []),
  ];
  return ways.length > 0 ? ways.join(' or ') : 'there is no way for its answer to reach the agent (see above)';
}

function answersLine(from: AnswersFrom): string {
  const ways = [...(from.camera ? ['the camera (show it the page\'s answer QR)'] : []), ...(from.file ? [`the file ${from.file} (write the "pigeon:" answer into it)`] : [])];
  if (from.stdin) return `answers are read from stdin (paste them here)${ways.length ? `, ${ways.join(' and ')}` : ''}`;
  if (ways.length === 0) return 'stdin is not open (e.g. under systemd) and there is no --answer-file or camera scan: no answer can reach this agent; add --answer-file PATH';
  return `stdin is not open (e.g. under systemd): answers reach the agent through ${ways.join(' and ')}`;
}

function time(iso: string): string {
  return new Date(iso).toTimeString().slice(0, 5);
}

function terminalQr(qr: QrMatrix, io: Io): string {
  try {
    return renderTerminal(qr, { color: io.stdout.isTTY === true });
  } catch (error) {
    return `(${(error as Error).message}: use --qr-png, or paste the text below)\n`;
  }
}

function writeQr(io: Io, shown: OfferShown | AnswerShown, qr: QrMatrix, clear: boolean, blanking: string): void {
  const link = shown.type === 'offer' && shown.link ? `Open on a phone: ${shown.link}\n` : '';
  io.stdout.write(`${blanking}${clear ? '\x1b[2J\x1b[H' : '\n'}${terminalQr(qr, io)}${link}${shown.blob.text}\n\n`);
}

function writePng(path: string, qr: QrMatrix, io: Io): void {
  writeQrPng(path, qr).catch((error: Error) => io.stderr.write(`pi-agent: could not write ${path}: ${error.message}\n`));
}

function offerLine(event: Extract<AgentEvent, { type: 'offer' }>, answersFrom: AnswersFrom | undefined): string {
  const what = event.link
    ? `Scan it with a phone's camera app (it opens the page), then ${answerWays(answersFrom ?? { type: 'answers-from', stdin: true, camera: true }, true)}.`
    : `Scan it with the Pigeon page, then ${answerWays(answersFrom, false)}.`;
  return `offer #${event.offerId}: ${event.bytes} bytes, QR version ${event.qrVersion}, valid until ${time(event.expiresAt)}. ${what}`;
}

function memoryLine(m: Extract<ShownEvent, { type: 'memory' }>): string {
  const after = m.gc ? ' after a collection' : ' (run node with --expose-gc for the heap after a collection)';
  return `memory: ${m.rssMb} MB resident, heap ${m.heapUsedMb} MB used${after} (${m.codeMb} MB of it compiled code) of ${m.heapTotalMb} MB, ${m.externalMb} MB external (${m.arrayBuffersMb} MB buffers)`;
}

export function renderer(io: Io, options: RenderOptions): (shown: ShownEvent) => void {
  const say = (line: string): void => void io.stderr.write(`pi-agent: ${line}\n`);
  // Said once, before the first code this console shows.
  let blanking = options.clear || options.display ? NO_BLANKING : '';
  let answersFrom: AnswersFrom | undefined;
  return (shown) => {
    if (shown.type === 'offer' || shown.type === 'answer') {
      if (options.qrPng) writePng(options.qrPng, shown.qr, io);
      if (!options.json) writeQr(io, shown, shown.qr, options.clear, blanking);
      if (!options.json) blanking = '';
    }
    if (shown.type === 'answers-from') answersFrom = shown;
    const event = lineOf(shown);
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
      return;
    }
    switch (event.type) {
      case 'ready':
        return say(`${event.source} -> ${event.encoder}: ${event.pipeline}`);
      case 'pipeline': {
        const which = event.codec ? `${event.codec} encoder (for the viewers whose browser chose ${event.codec})` : 'pipeline';
        if (event.state === 'started') return say(`${which} running (gst-launch-1.0 pid ${event.pid ?? '?'})`);
        if (event.state === 'exited') return say(`${which} stopped: ${event.detail ?? 'no reason given'}`);
        return say(`restarting the ${which} in ${((event.delayMs ?? 0) / 1000).toFixed(1)} s; viewers stay connected`);
      }
      case 'offer':
        return say(offerLine(event, answersFrom));
      case 'page-served':
        return say(`serving the page at ${event.url} (read-only, the page and nothing else; --serve-page)`);
      case 'offer-expired':
        return say(`offer #${event.offerId} expired; here is a fresh one`);
      case 'answer':
        return say(
          `answer for viewer #${event.viewer} (${event.bytes} bytes, QR version ${event.qrVersion}), valid until ${time(event.expiresAt)}: ` +
            'show it to the page (scan or paste); the video starts as soon as the page has it.',
        );
      case 'scanning':
        return say(event.active ? 'looking for the answer QR with the camera (hold the page up to it)' : 'camera QR reader paused');
      case 'refused':
        return say(`refused (${event.code}): ${event.reason}. Viewers already watching are not affected.`);
      case 'cut-short':
        return say('that looks cut short; paste the rest (or the whole code again)');
      case 'viewer-joined':
        return say(`viewer #${event.viewer} joined (${event.viewers} watching)`);
      case 'viewer-left':
        return say(`viewer #${event.viewer} left: ${event.reason} (${event.viewers} watching)`);
      case 'message':
        return say(`viewer #${event.viewer} says: ${event.text}`);
      case 'reconnecting':
        return say(`viewer #${event.viewer} asked over the data channel for a new connection; answered, its video goes on meanwhile`);
      case 'reconnected':
        return say(`viewer #${event.viewer} reconnected in ${event.ms} ms over a new connection, no new QR; the old one is closed`);
      case 'network-changed':
        return say(`this machine's addresses changed (now ${event.addresses.join(', ') || 'none'}); checking each viewer's path`);
      case 'path-checked':
        return say(`viewer #${event.viewer} answered on the changed network after ${event.ms} ms; its video goes on, no new QR`);
      case 'settings':
        return say(`viewer #${event.viewer} changed the stream to ${event.width}×${event.height}@${event.fps}, ${event.bitrate} kbit/s`);
      case 'detections':
        return;
      case 'stats': {
        const rtts = event.viewers.map((v) => (v.rttMs === null ? '-' : `${v.rttMs} ms`)).join(', ');
        return say(`${event.viewers.length} watching · ${event.fps.toFixed(1)} fps · ${event.kbps} kbit/s${rtts ? ` · RTT ${rtts}` : ''}`);
      }
      case 'answers-from':
        return say(answersLine(event));
      case 'offer-remade':
        return say(`offer #${event.offerId} replaced: ${event.why} (addresses now ${event.addresses.join(', ') || 'none'}); scan the new one`);
      case 'memory':
        return say(memoryLine(event));
      case 'stopped':
        return say(`stopped (${event.reason})`);
    }
  };
}
