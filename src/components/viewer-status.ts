import type { PeerStatus } from '../controllers/connection-controller.ts';
import type { ViewerSnapshot } from '../controllers/viewer-session.ts';
import { spoken } from '../transport/codecs.ts';

const STATUS_TEXT: Record<PeerStatus, string> = {
  idle: 'Waiting for the Pi’s code',
  answering: 'Preparing the answer…',
  offering: 'Preparing this page’s offer…',
  waiting: 'Waiting for the Pi to read the answer…',
  // Chromium starts its checks as soon as the answer exists, before the Pi has it.
  connecting: 'Waiting for the Pi to read the answer…',
  connected: 'Connected',
  disconnected: 'Connection interrupted, reconnecting…',
  failed: 'Not connected',
  closed: 'Closed',
};

/** `m:ss` of a wait, as a person reads it. */
function clock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The status line: the state, how long this side has waited, and what the offer held. `answered`: the Pi's answer was given. */
export function statusText(view: ViewerSnapshot, answered: boolean, now = Date.now()): string {
  const { status } = view;
  if (view.restarting) return 'Reconnecting over the data channel…';
  const waited = view.waitingSince === undefined ? '' : ` · ${clock(now - view.waitingSince)}`;
  if (status === 'disconnected' && !view.connectedOnce) return `The Pi stopped answering; waiting in case it comes back…${waited}`;
  // The path stopped carrying (a changed network): the Pi repairs it by itself, no new code yet.
  if (status === 'disconnected' && view.lostSince !== undefined) return `${STATUS_TEXT.disconnected} · ${clock(now - view.lostSince)}`;
  if (view.role === 'offerer' && (status === 'waiting' || (status === 'connecting' && !answered))) {
    // The Pi refuses an offer without its codec on its own screen only: say what this one holds.
    const codecs = view.offeredCodecs?.map((name) => spoken([name])).join(' and ');
    return `Waiting for the Pi’s answer…${waited}${codecs ? ` (this page offered ${codecs}; a Pi that sends another codec refuses it)` : ''}`;
  }
  return status === 'waiting' || status === 'connecting' ? `${STATUS_TEXT[status]}${waited}` : STATUS_TEXT[status];
}

/** Under the picture until it plays: where the video will come from, and that there is time. */
export function placeholderText(view: ViewerSnapshot): { text: string; hint: string | undefined } {
  const offering = view.role === 'offerer';
  return {
    text: offering ? 'The video appears here once this page has the Pi’s answer.' : 'The video appears here once the Pi has the answer.',
    hint:
      view.waitingSince === undefined
        ? undefined
        : offering
          ? 'Take your time: this page waits for the Pi’s answer as long as it stays open; the Pi keeps its answer for 10 minutes.'
          : 'Take your time: the Pi’s code lasts 10 minutes from when it appeared, and this page waits that long.',
  };
}
