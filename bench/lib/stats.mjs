// Figures and their presentation: medians, units, PASS/MISS, and a plain-text table.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Decimal megabytes: the unit of every MB and MB/s this bench prints. */
export const MB = 1_000_000;

export function formatSeconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatMB(bytes) {
  return `${(bytes / MB).toFixed(0)} MB`;
}

/** A target's verdict: PASS or MISS when measured, SKIP (with a reason) when it could not be. */
export function verdict(measured, limit, comparator) {
  if (measured === undefined || measured === null || Number.isNaN(measured)) return 'SKIP';
  const isMet = comparator === '<=' ? measured <= limit : comparator === '<' ? measured < limit : false;
  return isMet ? 'PASS' : 'MISS';
}

/** Renders rows (arrays of cells) as an aligned table; the first row is the header. */
export function renderTable(rows) {
  const widths = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, String(cell).length);
  }
  const line = (row) =>
    row
      .map((cell, i) => String(cell).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}
