import * as z from 'zod/mini';
import type { Dataset } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import { parseOptions } from './option-schemas.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';
import type { BlendMemberEntry } from './blend.js';

/**
 * The `champion` entry's options: which algorithm validation chose and its params (the nightly passes
 * the Tune stage's champion; the params are checked by that algorithm's own strict schema).
 */
export const championOptionsSchema = z.strictObject({
  algorithm: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
  params: z.optional(z.record(z.string(), z.unknown())),
});

/** What the nightly scores under the `champion` pointer before any tuning chose one (cheap, scales). */
export const DEFAULT_CHAMPION = 'cf';

/** What the champion entry needs of the registry: the same as a blend member (the registry imports this module). */
export type ChampionInner = BlendMemberEntry;
export type ChampionResolver = (name: string) => ChampionInner;

/** The champion's model under the `champion` name, saying which algorithm it is. */
export class ChampionModel implements Recommender {
  readonly name = 'champion';
  constructor(
    readonly algorithm: string,
    readonly inner: Recommender,
  ) {}
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    return this.inner.recommend(user, n, options);
  }
}

/** Trains the chosen algorithm with its params (strict: a bad param names `champion.params.KEY`). */
export function trainChampion(
  dataset: Dataset,
  raw: unknown,
  seed: number,
  resolve: ChampionResolver,
): ChampionModel {
  const o = parseOptions(championOptionsSchema, raw, 'champion');
  const algorithm = o.algorithm ?? DEFAULT_CHAMPION;
  if (algorithm === 'champion')
    throw new ValidationError('champion.algorithm cannot be champion', 'champion.algorithm');
  const inner = resolve(algorithm);
  if (!inner.serialize)
    throw new ValidationError(`champion.algorithm: ${algorithm} cannot be stored`, 'champion.algorithm');
  const params = parseOptions(inner.options, o.params, 'champion.params');
  return new ChampionModel(algorithm, inner.train(dataset, params, seed));
}

/** Stores the champion as its algorithm's name and that algorithm's own stored bytes. */
export function serializeChampion(model: ChampionModel, resolve: ChampionResolver): Uint8Array {
  const inner = resolve(model.algorithm).serialize;
  if (!inner) throw new ValidationError(`champion: ${model.algorithm} cannot be stored`, 'champion');
  const name = new TextEncoder().encode(model.algorithm);
  const body = inner(model.inner);
  const out = new Uint8Array(1 + name.length + body.length);
  out[0] = name.length;
  out.set(name, 1);
  out.set(body, 1 + name.length);
  return out;
}

/** Restores a champion written by serializeChampion. */
export function deserializeChampion(
  bytes: Uint8Array,
  dataset: Dataset,
  resolve: ChampionResolver,
): ChampionModel {
  if (bytes.length < 2 || bytes[0] === 0 || bytes[0] > 40)
    throw new DataError('champion: not a stored champion');
  const algorithm = new TextDecoder().decode(bytes.subarray(1, 1 + bytes[0]));
  const inner = resolve(algorithm).deserialize;
  if (!inner) throw new DataError(`champion: ${algorithm} cannot be restored`);
  return new ChampionModel(algorithm, inner(bytes.subarray(1 + bytes[0]), dataset));
}
