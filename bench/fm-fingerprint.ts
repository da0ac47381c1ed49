/**
 * Fingerprints of trained FM models, one per loss / visiting order / optimizer (small generated shop, tiny
 * settings): a sha256 of the serialised model. Run it before and after a change to the training code; equal
 * lines mean the change trains byte-identical models for that configuration (e.g. the shared epoch loop of
 * fm/sgd.ts, issue 14). Also prints each training's wall time.
 *
 *   npx tsx bench/fm-fingerprint.ts
 */
import { createHash } from 'node:crypto';
import { serializeFm, trainFmMember } from '../shared/domain/algorithms/fm.js';
import type { FmOptions } from '../shared/domain/algorithms/fm/options.js';
import { generateShop } from '../shared/domain/data/generator.js';

const dataset = generateShop({ users: 250, items: 120, seed: 5 }).dataset;
const CONFIGS: Record<string, FmOptions> = {
  'warp-batch, pool one': {},
  'warp-batch, pool all, adam': { poolUpdates: 'all', optimizer: 'adam' },
  'warp-batch, no validation': { validationFraction: 0, epochs: 3 },
  'warp by pair': { loss: 'warp', historyFeatures: false },
  'warp by user': { loss: 'warp', historyFeatures: true },
  'bpr by pair, adam': { loss: 'bpr', historyFeatures: false, optimizer: 'adam' },
  'bpr by user': { loss: 'bpr', historyFeatures: true },
  'warp by pair, ema': { loss: 'warp', historyFeatures: false, parameterEma: 0.5 },
};
console.log('| configuration | model sha256 (16) | train ms |');
console.log('|---|---|---:|');
for (const [name, options] of Object.entries(CONFIGS)) {
  const t = performance.now();
  const model = trainFmMember(dataset, { factors: 8, epochs: 6, seed: 3, ...options });
  const hash = createHash('sha256').update(serializeFm(model)).digest('hex').slice(0, 16);
  console.log(`| ${name} | ${hash} | ${(performance.now() - t).toFixed(0)} |`);
}
