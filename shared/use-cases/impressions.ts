import { DependencyError } from '../domain/errors.js';
import type { Impression } from '../domain/events/events.js';
import { fnv1a } from '../domain/experiments/experiments.js';
import type { EventStore } from '../ports/events.js';

/** What an impression records of a served list (any surface's answer). */
export interface ServedListRecord {
  readonly recommendationId: string;
  readonly userId: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly itemList: readonly { readonly itemId: string }[];
}

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
export function impressionOf(response: ServedListRecord, ts: number): Impression {
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
  /**
   * Lists held at most, queued or in writes not yet answered (default 2,500: a hundred writes). Beyond it a
   * list is dropped and reported, so a store that stops answering cannot grow the process's memory.
   */
  readonly maxPending?: number;
  /** Where a failed write or a dropped list is reported (it never reaches the request). */
  readonly onError?: (err: unknown, lost: number) => void;
  readonly now?: () => number;
}

/**
 * Records served lists for attribution without slowing the request: sampled, queued in memory and
 * written in batches (25 per BatchWriteItem, or after `batchMs`), never awaited by the request and never
 * throwing into it. A Lambda container that is reclaimed loses at most its last `batchMs` of lists;
 * that loss does not depend on the arm, so the rates per arm stay unbiased. Memory is bounded: at most
 * `maxPending` lists are held while the store is slow, later ones are dropped and reported.
 */
export class ImpressionRecorder {
  private queue: Impression[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxPending: number;
  /** Lists in writes not yet answered. */
  private writing = 0;

  constructor(
    private readonly store: Pick<EventStore, 'putImpressions'>,
    private readonly options: ImpressionRecorderOptions,
  ) {
    this.maxBatch = Math.max(1, Math.min(25, options.maxBatch ?? 25));
    this.maxPending = Math.max(1, options.maxPending ?? 2_500);
  }

  /** Queues the served list if sampled and there is room; returns whether it was queued. */
  record(response: ServedListRecord, servedAt?: number): boolean {
    if (
      response.itemList.length === 0 ||
      !sampledImpression(response.recommendationId, this.options.sampleRate)
    )
      return false;
    if (this.queue.length + this.writing >= this.maxPending) {
      this.options.onError?.(
        new DependencyError('impressions', `${this.maxPending} lists already wait for the event store`),
        1,
      );
      return false;
    }
    this.queue.push(impressionOf(response, servedAt ?? (this.options.now ?? Date.now)()));
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
      this.writing += batch.length;
      const p: Promise<void> = this.store.putImpressions(batch).then(
        () => undefined,
        (err: unknown) => this.options.onError?.(err, batch.length),
      );
      this.inFlight.add(p);
      void p.finally(() => {
        this.inFlight.delete(p);
        this.writing -= batch.length;
      });
    }
  }
}
