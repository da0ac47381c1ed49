import type { Dataset } from '../domain/data/dataset.js';
import type { LoadOptions } from '../domain/data/loader.js';

/**
 * Loads a dataset folder for a CLI command and prints on stderr how many rows were skipped and the first few
 * `file:line: reason` messages, so a bad row never vanishes silently (stdout stays the command's output).
 */
export async function loadDatasetReporting(dir: string, options?: LoadOptions): Promise<Dataset> {
  const { loadDataset } = await import('../domain/data/loader.js');
  const { formatSkippedRows } = await import('../domain/data/load-report.js');
  const dataset = await loadDataset(dir, options);
  for (const line of formatSkippedRows(dataset.stats)) console.error(`osusume: ${line}`);
  return dataset;
}
