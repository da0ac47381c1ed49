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

/** What a served list is recorded as. */
export function impressionOf(response: RecommendResponse, ts: number): Impression {
  return {
    recommendationId: response.recommendationId,
    userId: response.userId,
    slot: response.slot,
    experiment: response.experiment,
    arm: response.arm,
    items: response.itemList.map((i) => i.itemId),
    ts,
  };
}

export interface ImpressionRecorderOptions {
  /** Share of served lists recorded (0..1). */
  readonly sampleRate: number;
  /** Queued lists are written after at most this long (0 = one write per list, still not awaited). */
  readonly batchMs: number;
  /** Lists per write (a BatchWriteItem holds 25). */
  readonly maxBatch?: number;
  /** Where a failed write is reported (it never reaches the request). */
  readonly onError?: (err: unknown, lost: number) => void;
  readonly now?: () => number;
}

/**
 * Records served lists for attribution without slowing the request: sampled, queued in memory and
 * written in batches (25 per BatchWriteItem, or after `batchMs`), never awaited by the request and never
 * throwing into it. A Lambda container that is reclaimed loses at most its last `batchMs` of lists;
 * that loss does not depend on the arm, so the rates per arm stay unbiased.
 */
export class ImpressionRecorder {
  private queue: Impression[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;

  constructor(
    private readonly store: Pick<EventStore, 'putImpressions'>,
    private readonly options: ImpressionRecorderOptions,
  ) {
    this.maxBatch = Math.max(1, Math.min(25, options.maxBatch ?? 25));
  }

  /** Queues the served list if sampled; returns whether it was. */
  record(response: RecommendResponse): boolean {
    if (
      response.itemList.length === 0 ||
      !sampledImpression(response.recommendationId, this.options.sampleRate)
    )
      return false;
    this.queue.push(impressionOf(response, (this.options.now ?? Date.now)()));
    if (this.options.batchMs <= 0 || this.queue.length >= this.maxBatch) this.write();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.write(), this.options.batchMs);
      // a pending flush must not keep a CLI or test process alive
      this.timer.unref();
    }
    return true;
  }

  /** Writes everything queued and waits for every write in flight (tests, shutdown). */
  async flush(): Promise<void> {
    this.write();
    await Promise.all([...this.inFlight]);
  }

  private write(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const p: Promise<void> = this.store.putImpressions(batch).then(
        () => undefined,
        (err: unknown) => this.options.onError?.(err, batch.length),
      );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }
}
