import type { IdIndex } from '../data/dataset.js';
import {
  deserializeNeighbourModel,
  type NeighbourLists,
  NeighbourModel,
  serializeNeighbourModel,
  type UserHistory,
} from './item-cf.js';
import type { Recommender } from './recommender.js';

/**
 * An item-to-item linear model (score_j = Σ_i x_ui · W_ij) whose W is kept as sparse neighbour lists, so
 * EASE, RP3beta and SLIM score, serialise and serve at request time exactly like item CF.
 */
export class LinearItemModel extends NeighbourModel implements Recommender {
  constructor(
    readonly name: string,
    items: IdIndex | readonly string[],
    lists: NeighbourLists,
    history?: UserHistory,
  ) {
    super(items, lists, history);
  }
}

/** Binary model kinds of the linear item models (item-cf.ts uses 1 and 2). */
export const LINEAR_MODEL_KIND = { ease: 10, rp3beta: 11, slim: 12 } as const;
export type LinearModelName = keyof typeof LINEAR_MODEL_KIND;

/** Serialises a linear item model (lists and user histories) in the neighbour-model binary layout. */
export function serializeLinearItemModel(model: LinearItemModel): Uint8Array {
  return serializeNeighbourModel({
    kind: LINEAR_MODEL_KIND[model.name as LinearModelName],
    nItems: model.nItems,
    lists: model.lists,
    history: model.history,
  });
}

/** Restores a model written by serializeLinearItemModel; `itemIds` are the training items in index order. */
export function deserializeLinearItemModel(
  name: LinearModelName,
  bytes: Uint8Array,
  itemIds: IdIndex | readonly string[],
): LinearItemModel {
  const d = deserializeNeighbourModel(bytes, LINEAR_MODEL_KIND[name]);
  return new LinearItemModel(name, itemIds, d.lists, d.history);
}
