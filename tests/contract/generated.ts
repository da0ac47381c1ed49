import type { Rng } from '../../shared/domain/random.js';
import type { ScoredItem, UserRecommendations } from '../../shared/ports/types.js';

/** A ranked list of `length` distinct items with descending random scores, as a recommender emits. */
export function rankedList(rng: Rng, length: number, catalogue = 5000): ScoredItem[] {
  const ids = new Set<string>();
  while (ids.size < length) ids.add(`item-${rng.int(catalogue)}`);
  const scores = Array.from({ length }, () => rng.next() * 10).sort((a, b) => b - a);
  return [...ids].map((itemId, i) => ({ itemId, score: scores[i] }));
}

/** `users` users' lists of `length` items each. */
export function userLists(rng: Rng, users: number, length: number): UserRecommendations[] {
  return Array.from({ length: users }, (_, u) => ({ userId: `user-${u}`, items: rankedList(rng, length) }));
}

/** Maps with at most `concurrency` calls in flight (1000 parallel reads only queue on the HTTP agent). */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
