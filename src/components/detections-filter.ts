import { html, type TemplateResult } from 'lit';

export interface DetectionsFilter {
  /** Labels drawn; empty: all. */
  labels: readonly string[];
  /** Boxes less sure than this (0..1) are not drawn. */
  minConfidence: number;
}

/**
 * Which boxes the person wants drawn: one label or all of those seen so far, and the least
 * confidence, in whole percent. Each change calls `change` with the whole filter.
 */
export function detectionsFilter(seen: readonly string[], now: DetectionsFilter, change: (filter: DetectionsFilter) => void): TemplateResult {
  const label = (event: Event): void => {
    const value = (event.target as HTMLSelectElement).value;
    change({ ...now, labels: value === '' ? [] : [value] });
  };
  const confidence = (event: Event): void => change({ ...now, minConfidence: Number((event.target as HTMLInputElement).value) / 100 });
  const chosen = now.labels.length === 1 ? now.labels[0] : '';
  return html`<span class="detections-filter" part="detections-filter">
    <select aria-label="Boxes of label" @change=${label}>
      <option value="" ?selected=${chosen === ''}>All labels</option>
      ${seen.map((name) => html`<option value=${name} ?selected=${chosen === name}>${name}</option>`)}
    </select>
    <label
      >≥ <output>${Math.round(now.minConfidence * 100)}%</output>
      <input type="range" min="0" max="100" step="5" aria-label="Least confidence" .value=${String(Math.round(now.minConfidence * 100))} @input=${confidence}
    /></label>
  </span>`;
}
