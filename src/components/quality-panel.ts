import { html, type TemplateResult } from 'lit';
import type { StreamLimits, StreamSettings } from '../signal/index.ts';

/** Offered where the agent's limits allow them (4:3 and 16:9, as cameras make them). */
const RESOLUTIONS: [number, number][] = [
  [320, 240],
  [640, 360],
  [640, 480],
  [1280, 720],
  [1920, 1080],
];
const FRAME_RATES = [5, 10, 15, 24, 30, 60];

/** A quality change, as the page says it. */
export function settingsText(s: StreamSettings): string {
  return `${s.width}×${s.height} at ${s.fps} fps, ${s.bitrate} kbit/s`;
}

/** The Quality panel: what the encoder makes `now`, choices within the agent's `limits`; Apply calls `apply`. */
export function qualityPanel(now: StreamSettings, limits: StreamLimits, apply: (ask: Partial<StreamSettings>) => void): TemplateResult {
  const sizes = RESOLUTIONS.filter(([w, h]) => w <= limits.maxWidth && h <= limits.maxHeight);
  if (!sizes.some(([w, h]) => w === now.width && h === now.height)) sizes.push([now.width, now.height]);
  sizes.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  const rates = FRAME_RATES.filter((f) => f <= limits.maxFps);
  if (!rates.includes(now.fps)) rates.push(now.fps);
  rates.sort((a, b) => a - b);
  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const [width, height] = String(data.get('size')).split('x').map(Number);
    apply({ bitrate: Number(data.get('bitrate')), width, height, fps: Number(data.get('fps')) });
  };
  return html`<form id="quality" class="quality" part="quality" aria-label="Quality" @submit=${submit}>
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

/** `ask` kept within `limits` (the agent clamps too), rounded as the agent takes it. */
export function clampQuality(ask: Partial<StreamSettings>, limits: StreamLimits | undefined): Partial<StreamSettings> {
  const clamp = (value: number | undefined, low: number, high: number): number | undefined =>
    value === undefined || !Number.isFinite(value) ? undefined : Math.min(high, Math.max(low, value));
  const bitrate = limits ? clamp(ask.bitrate, limits.minBitrate, limits.maxBitrate) : ask.bitrate;
  const width = limits ? clamp(ask.width, 16, limits.maxWidth) : ask.width;
  const height = limits ? clamp(ask.height, 16, limits.maxHeight) : ask.height;
  const fps = limits ? clamp(ask.fps, 1, limits.maxFps) : ask.fps;
  return {
    ...(bitrate === undefined ? {} : { bitrate: Math.round(bitrate) }),
    ...(width === undefined ? {} : { width: Math.round(width) }),
    ...(height === undefined ? {} : { height: Math.round(height) }),
    ...(fps === undefined ? {} : { fps }),
  };
}
