import type { QrMatrix } from './matrix.ts';

/** One path of unit squares in a viewBox, so the SVG scales to any size without blur. */
export function renderSvg(matrix: QrMatrix, options: { quiet?: number; title?: string } = {}): string {
  const quiet = options.quiet ?? 4;
  const side = matrix.size + 2 * quiet;
  let path = '';
  for (let y = 0; y < matrix.size; y++) {
    for (let x = 0; x < matrix.size; x++) {
      if (matrix.dark(x, y)) path += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }
  }
  const title = options.title === undefined ? '' : `<title>${escapeXml(options.title)}</title>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges" role="img">` +
    `${title}<rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch] ?? ch);
}
