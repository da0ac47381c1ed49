import { TtlCache } from '../domain/cache.js';
import type { CandidateContext, CandidateSource } from '../ports/candidates.js';
import type { PipelineStateStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';
import { ownValue } from '../domain/own-property.js';

/** State-table key of the champion the last published nightly run chose (the `auto` arm reads it). */
export const CHAMPION_KEY = 'champion';

/** The published champion: the algorithm with the best validation score, and its tuned params. */
export interface PublishedChampion {
  readonly algorithm: string;
  /**
   * The pointer whose lists hold the champion's (the nightly's `champion` entry trained it); absent in
   * records of older runs, whose champion was served from its own pointer.
   */
  readonly pointer?: string;
  /** Version of the nightly run that published it. */
  readonly version: string;
  readonly metric: string;
  readonly score: number;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly tunedAt?: string;
  readonly publishedAt: string;
}

/**
 * The `auto` arm: the published champion's precomputed lists (labelled `auto:<algorithm>`), read from the
 * pointer the nightly trained it under (`champion`), so any candidate (a blend, EASE) can serve. The
 * champion record is cached like the version pointers; before any champion is published the arm has
 * no candidates, so the popularity fallback answers.
 */
export class ChampionSource implements CandidateSource {
  private last: string | undefined;
  private readonly cache: TtlCache<'champion', string | undefined>;
  constructor(
    private readonly state: PipelineStateStore,
    private readonly sources: Readonly<Record<string, CandidateSource>>,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }

  /** The champion's algorithm name, or undefined before the first published champion. */
  async champion(): Promise<string | undefined> {
    return (await this.record())?.algorithm;
  }

  private async record(): Promise<{ algorithm: string; pointer: string } | undefined> {
    const { value } = await this.cache.read(
      'champion',
      async () => {
        const r = await this.state.getRecord<PublishedChampion>(CHAMPION_KEY);
        return r ? `${r.algorithm}\n${r.pointer ?? r.algorithm}` : undefined;
      },
      Number.POSITIVE_INFINITY,
      'state',
    );
    if (value === undefined) return undefined;
    const [algorithm, pointer] = value.split('\n');
    return { algorithm, pointer };
  }

  /** `auto:<champion>` once a champion was read, so served items say which model answered. */
  get source(): string {
    return this.last === undefined ? 'auto' : `auto:${this.last}`;
  }

  async candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    const r = await this.record();
    const source = r === undefined || r.pointer === 'auto' ? undefined : ownValue(this.sources, r.pointer);
    if (!r || !source) return [];
    this.last = r.algorithm;
    return source.candidates(userId, n, context);
  }
}
