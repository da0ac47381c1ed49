import type { FileStats, LoadStats } from './dataset.js';

/** How many `file:line: reason` messages a load report shows per file. */
export const REPORTED_ERRORS = 5;

/**
 * Lines telling a user what a load left out: per file with skipped rows, "FILE: N of M rows skipped" followed by
 * the first {@link REPORTED_ERRORS} `file:line: reason` messages. Empty when nothing was skipped, so a caller can
 * print it unconditionally.
 */
export function formatSkippedRows(stats: LoadStats, maxErrors = REPORTED_ERRORS): string[] {
  const lines: string[] = [];
  const files: (FileStats | undefined)[] = [stats.interactions, stats.users, stats.items];
  for (const f of files) {
    if (!f || f.skipped === 0) continue;
    lines.push(`${f.file}: ${f.skipped} of ${f.rows} rows skipped (bad rows), first:`);
    for (const e of f.errors.slice(0, maxErrors)) lines.push(`  ${e}`);
    if (f.skipped > maxErrors) lines.push(`  ... (${f.skipped - Math.min(maxErrors, f.errors.length)} more)`);
  }
  return lines;
}
