/**
 * `npm run generate:asl`: writes the registry-derived files (the nightly scoring state machine and the
 * request path's served-algorithms.ts) from statemachines/templates/ and the registry. Run it after adding
 * or changing a registry entry; tests/unit/nightly-asl.test.ts fails while the committed files differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALGORITHMS, type AlgorithmEntry, scoredEntries } from '../domain/algorithms/registry.js';
import { generateNightlyAsl, servedAlgorithmsSource } from '../pipeline/nightly-asl.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export const NIGHTLY_ASL = 'statemachines/nightly-scoring.asl.json';
export const SERVED_MODULE = 'shared/domain/algorithms/served-algorithms.ts';

/** The generated files' contents by repository path, for `registry` (default: the real one). */
export function generatedFiles(
  registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS,
  root = ROOT,
): Map<string, string> {
  const read = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8')) as unknown;
  const asl = generateNightlyAsl(
    read('statemachines/templates/nightly-scoring.json'),
    read('statemachines/templates/scored-branch.json'),
    scoredEntries(registry),
  );
  return new Map([
    [NIGHTLY_ASL, `${JSON.stringify(asl, null, 2)}\n`],
    [SERVED_MODULE, servedAlgorithmsSource([...registry.values()])],
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of generatedFiles()) {
    writeFileSync(join(ROOT, path), text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
