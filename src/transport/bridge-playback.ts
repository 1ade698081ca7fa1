import { decodableCodecs } from '../playback/decoder.ts';
import { mseCodecs } from '../playback/mse-player.ts';
import type { VideoCodecName } from '../bridge-wire/protocol.ts';
import { ConnectionError } from '../events/viewer-error.ts';
import { unplayableOffer } from './codecs.ts';
import type { FrameSurface } from './transport.ts';

/**
 * How the page shows the bridge's frames, chosen for each new connection: WebCodecs onto a
 * canvas where the engine has it, else Media Source Extensions in a `<video>` (fragmented MP4,
 * H.264 only), or whichever `decoder="…"` / `?decoder=` names.
 */
export type DecoderPreference = 'auto' | 'webcodecs' | 'mse';

/** The preference a `decoder` attribute or `?decoder=` names; anything else is `auto`. */
export function decoderPreference(text: string | null | undefined): DecoderPreference {
  const name = (text ?? '').trim().toLowerCase();
  return name === 'mse' || name === 'webcodecs' ? name : 'auto';
}

export interface Playback {
  readonly surface: FrameSurface;
  /** What the page asks the bridge for, preferred first. */
  readonly codecs: VideoCodecName[];
}

/**
 * The way to play, given the codecs the Pi offers (undefined: this page offers, so any the Pi
 * sends). Throws the ConnectionError that says why none works here.
 */
export async function choosePlayback(preference: DecoderPreference, offered?: readonly string[]): Promise<Playback> {
  const webcodecs = preference === 'mse' ? [] : await decodableCodecs();
  const mse = preference === 'webcodecs' ? [] : mseCodecs();
  const plays = (codecs: readonly string[]): boolean => !offered || offered.length === 0 || offered.some((name) => codecs.includes(name));
  if (preference === 'mse' && mse.length === 0) throw new ConnectionError('E_NO_MSE');
  if (webcodecs.length > 0 && plays(webcodecs)) return { surface: 'canvas', codecs: webcodecs };
  if (mse.length > 0 && plays(mse)) return { surface: 'video', codecs: mse };
  if (webcodecs.length === 0 && mse.length === 0) throw new ConnectionError('E_NO_WEBCODECS');
  const playable = [...new Set([...webcodecs, ...mse])];
  const refusal = unplayableOffer([...(offered ?? [])], playable);
  const why =
    webcodecs.length > 0
      ? ''
      : preference === 'mse'
        ? 'decoder=mse asks for Media Source Extensions, through which this page plays H.264 only. '
        : 'This browser has no WebCodecs video decoder, and through Media Source Extensions this page plays H.264 only. ';
  throw new ConnectionError('E_CODEC_UNPLAYABLE', { message: `${why}${refusal?.message ?? ''}`.trim() });
}
