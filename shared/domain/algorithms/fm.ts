/**
 * Factorization Machine for implicit-feedback ranking over one-hot user id, item id, user attributes and
 * item attributes, trained with WARP-batch (WMRB: one shared negative pool per user), WARP or BPR,
 * Adagrad or Adam, L2 regularisation and early stopping on a validation split carved from the training
 * data. By default the user side also holds the user's training items as "history" features (SVD++/FISM
 * style), which lifted ML-100K precision@10 by about 0.01; those runs train in per-user mini-batches. By
 * default trainFm averages two members trained in parallel worker threads into one FM (fm-ensemble.ts).
 * Deterministic for a seed.
 */
// The implementation lives in fm/: options.ts (options, defaults, validation), positives.ts (training
// pairs and their validation split), features.ts, losses.ts (the losses' gradient weights), sgd.ts
// (sampling and the one epoch loop all losses share), training.ts (epochs, early stopping) and train.ts
// (trainFm). This module keeps the public names importers use.
export { FmModel } from './fm-model.js';
export type {
  FeatureRows,
  FmAttributeBlock,
  FmLayout,
  FmLoss,
  FmParams,
  FmTrainingInfo,
} from './fm-model.js';
export type { FmEnsembleOptions } from './fm-ensemble.js';
export { mergeFmModels } from './fm-ensemble.js';
export { deserializeFm, serializeFm } from './fm-serialize.js';
export { type FmOptions, validateFmOptions } from './fm/options.js';
export { trainFm, trainFmMember } from './fm/train.js';
