import type { Dataset } from '../../data/dataset.js';
import { ValidationError } from '../../errors.js';
import { Rng } from '../../random.js';
import { type FmEnsembleOptions, memberCount, memberOptions, trainFmEnsemble } from '../fm-ensemble.js';
import { type FmLayout, FmModel } from '../fm-model.js';
import { type FmOptions, resolve } from './options.js';
import { collectPositives, fullSplit, splitPositives } from './positives.js';
import { attributeBlocks, featureRows, withHistory } from './features.js';
import { runTraining } from './training.js';

/**
 * Trains an FM recommender on `dataset` (whose interactions are the training data). Users and items keep
 * the dataset's indices; users/items without interactions get no id feature, so they are scored from
 * attributes alone. With `members` > 1 it trains that many FMs (seeds seed, seed+1, …; in worker threads
 * when `threads` > 1 and workers are available) and returns their exact average as one FM (fm-ensemble.ts).
 */
export function trainFm(dataset: Dataset, options?: FmEnsembleOptions): FmModel {
  if (memberCount(options) > 1) return trainFmEnsemble(dataset, options);
  return trainFmMember(dataset, memberOptions(options, 0));
}

/** Trains one FM (no ensemble); see trainFm. */
export function trainFmMember(dataset: Dataset, options?: FmOptions): FmModel {
  const started = performance.now();
  const o = resolve(options);
  const nUsers = dataset.users.size;
  const nItems = dataset.items.size;
  if (nItems === 0) throw new ValidationError('dataset has no items', 'dataset');
  const pos = collectPositives(dataset, o.eventWeights);

  const userCols = o.userAttributes ? dataset.userAttributes : [];
  const itemCols = o.itemAttributes ? dataset.itemAttributes : [];
  const userBlocks = attributeBlocks(userCols, nUsers);
  const userEnd =
    userBlocks.length > 0 ? userBlocks[userBlocks.length - 1].offset + userCols.at(-1)!.dict.size : nUsers;
  // optional block of "history item" features between the user attributes and the item ids
  const historyBase = userEnd;
  const itemBase = o.historyFeatures ? historyBase + nItems : userEnd;
  const itemBlocks = attributeBlocks(itemCols, itemBase + nItems);
  const features =
    itemBlocks.length > 0
      ? itemBlocks[itemBlocks.length - 1].offset + itemCols.at(-1)!.dict.size
      : itemBase + nItems;

  const userHasId = new Uint8Array(nUsers);
  const counts = new Int32Array(nItems);
  for (let u = 0; u < nUsers; u++) if (pos.indptr[u + 1] > pos.indptr[u]) userHasId[u] = 1;
  for (let p = 0; p < pos.indices.length; p++) counts[pos.indices[p]]++;
  const itemHasId = new Uint8Array(nItems);
  for (let i = 0; i < nItems; i++) itemHasId[i] = counts[i] > 0 ? 1 : 0;
  const userRows = featureRows(nUsers, 0, userHasId, userCols, userBlocks, o.attributeWeight);
  const itemRows = featureRows(nItems, itemBase, itemHasId, itemCols, itemBlocks, o.attributeWeight);
  const layout: FmLayout = {
    users: dataset.users,
    items: dataset.items,
    userBlocks,
    itemBlocks,
    itemBase,
    features,
    attributeWeight: o.attributeWeight,
    historyBase: o.historyFeatures ? historyBase : -1,
    historyWeight: o.historyFeatures ? o.historyWeight : 0,
  };

  const validate = o.validationFraction > 0;
  const split = splitPositives(pos, o, new Rng(o.seed ^ 0x5b1d));
  const hasVal = validate && split.valIdx.length > 0;
  // history features come from the pairs being trained on, never from the held-out validation pairs
  const fullUserRows = o.historyFeatures
    ? withHistory(userRows, pos.indptr, pos.indices, historyBase, o.historyWeight)
    : userRows;
  const phaseUserRows =
    o.historyFeatures && hasVal
      ? withHistory(userRows, split.trainPtr, split.trainIdx, historyBase, o.historyWeight)
      : fullUserRows;
  let run = runTraining(
    features,
    phaseUserRows,
    itemRows,
    hasVal ? split : fullSplit(pos),
    counts,
    o,
    o.epochs,
    hasVal,
    hasVal && !o.refit ? { split: fullSplit(pos), epochs: o.finetuneEpochs, users: fullUserRows } : undefined,
  );
  let refit = false;
  const history = run.history;
  const bestValidation = run.best;
  if (hasVal && o.refit) {
    run = runTraining(
      features,
      fullUserRows,
      itemRows,
      fullSplit(pos),
      counts,
      o,
      Math.max(1, run.bestEpoch),
      false,
    );
    refit = true;
  }
  const model = new FmModel(layout, run.params, fullUserRows, itemRows, {
    indptr: pos.indptr,
    indices: pos.indices,
  });
  model.training = {
    loss: o.loss,
    optimizer: o.optimizer,
    epochs: run.epochs,
    bestEpoch: run.bestEpoch,
    bestValidation,
    history,
    refit,
    finetuneEpochs: hasVal && !o.refit ? o.finetuneEpochs : 0,
    seconds: (performance.now() - started) / 1000,
  };
  return model;
}
