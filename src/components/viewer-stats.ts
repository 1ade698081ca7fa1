import { html, nothing, type TemplateResult } from 'lit';
import type { TelemetryDetail, ViewerStats } from '../events/index.ts';

const show = (value: number | null | undefined, unit = '', digits = 0): string => (value == null ? '–' : `${value.toFixed(digits)}${unit}`);

/** The stats overlay: this browser's view of the video, then the Pi's own numbers. */
export function statsOverlay(s: ViewerStats | undefined, telemetry: TelemetryDetail | undefined): TemplateResult {
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
