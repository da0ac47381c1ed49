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
  /** Version of the nightly run that published it. */
  readonly version: string;
  readonly metric: string;
  readonly score: number;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly tunedAt?: string;
  readonly publishedAt: string;
}

/**
 * The `auto` arm: the published champion's precomputed lists (labelled `auto:<algorithm>`). The
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
    const { value } = await this.cache.read(
      'champion',
      async () => (await this.state.getRecord<PublishedChampion>(CHAMPION_KEY))?.algorithm,
      Number.POSITIVE_INFINITY,
      'state',
    );
    return value;
  }

  /** `auto:<champion>` once a champion was read, so served items say which model answered. */
  get source(): string {
    return this.last === undefined ? 'auto' : `auto:${this.last}`;
  }

  async candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    const algorithm = await this.champion();
    const source =
      algorithm === undefined || algorithm === 'auto' ? undefined : ownValue(this.sources, algorithm);
    if (!source) return [];
    this.last = algorithm;
    return source.candidates(userId, n, context);
  }
}
