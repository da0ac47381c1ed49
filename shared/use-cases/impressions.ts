import type { Impression } from '../domain/events/events.js';
import { fnv1a } from '../domain/experiments/experiments.js';
import type { EventStore } from '../ports/events.js';
import type { RecommendResponse } from './recommend.js';

/**
 * Whether a served list is recorded: a deterministic hash of its recommendationId under the sample rate,
 * so a replay of the same id decides the same way.
 */
export function sampledImpression(recommendationId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return fnv1a(recommendationId) / 4294967296 < rate;
}

/**
 * Records a served list for attribution, cheaply: sampled, and the caller waits at most `maxWaitMs`
 * (a slower write finishes in the background; its failure is reported, never thrown).
 */
export async function recordImpression(
  deps: { readonly events: EventStore },
  response: RecommendResponse,
  options: { sampleRate: number; maxWaitMs: number; now?: number; onError?: (err: unknown) => void },
): Promise<'recorded' | 'skipped' | 'pending' | 'failed'> {
  if (response.itemList.length === 0 || !sampledImpression(response.recommendationId, options.sampleRate))
    return 'skipped';
  const impression: Impression = {
    recommendationId: response.recommendationId,
    userId: response.userId,
    slot: response.slot,
    experiment: response.experiment,
    arm: response.arm,
    items: response.itemList.map((i) => i.itemId),
    ts: options.now ?? Date.now(),
  };
  const write = deps.events.putImpression(impression).then(
    () => 'recorded' as const,
    (err: unknown) => {
      options.onError?.(err);
      return 'failed' as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), options.maxWaitMs);
  });
  try {
    return await Promise.race([write, bound]);
  } finally {
    clearTimeout(timer);
  }
}
