import { setOwn } from '../../domain/own-property.js';
import {
  GetRecommendationsCommand,
  type PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { DependencyError } from '../../domain/errors.js';
import type { PersonalizeRecommender } from '../../ports/candidates.js';
import type { ScoredItem } from '../../ports/types.js';

export interface PersonalizeRuntimeOptions {
  /** A fixed campaign, or how to find the current one (e.g. CachedCampaignArn.arn, read per call). */
  /** A fixed ARN, or where the current one is read (the cached campaign parameter). */
  readonly campaignArn: string | { arn(): Promise<string> };
  readonly filterArn?: string;
  /** Hard timeout of one call; the request path never waits longer and never retries. */
  readonly timeoutMs: number;
}

/**
 * Amazon Personalize GetRecommendations behind the PersonalizeRecommender port. The client must be
 * built with `maxAttempts: 1` (no SDK retries on the request path); the timeout aborts the HTTP call.
 */
export class PersonalizeRuntimeRecommender implements PersonalizeRecommender {
  constructor(
    private readonly client: PersonalizeRuntimeClient,
    private readonly options: PersonalizeRuntimeOptions,
  ) {}

  async getRecommendations(input: {
    userId: string;
    numResults: number;
    filterArn?: string;
    filterValues?: ReadonlyMap<string, string>;
  }): Promise<ScoredItem[]> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // race as well as abort: the deadline holds even if a stage of the SDK ignores the signal
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(
          new DependencyError(
            'personalize',
            `GetRecommendations timed out after ${this.options.timeoutMs} ms`,
          ),
        );
      }, this.options.timeoutMs);
    });
    try {
      const campaignArn =
        typeof this.options.campaignArn === 'string'
          ? this.options.campaignArn
          : await Promise.race([this.options.campaignArn.arn(), deadline]);
      const call = this.client.send(
        new GetRecommendationsCommand({
          campaignArn,
          userId: input.userId,
          // Personalize caps numResults at 500
          numResults: Math.min(500, Math.max(1, input.numResults)),
          ...filterOf(
            input.filterArn ?? this.options.filterArn,
            input.filterArn ? input.filterValues : undefined,
          ),
        }),
        { abortSignal: abort.signal },
      );
      call.catch(() => undefined); // a late failure after the deadline must not be unhandled
      const out = await Promise.race([call, deadline]);
      return (out.itemList ?? [])
        .filter((i): i is typeof i & { itemId: string } => typeof i.itemId === 'string')
        .map((i) => ({ itemId: i.itemId, score: i.score ?? 0 }));
    } catch (err) {
      if (err instanceof DependencyError) throw err;
      if (abort.signal.aborted) {
        throw new DependencyError(
          'personalize',
          `GetRecommendations timed out after ${this.options.timeoutMs} ms`,
        );
      }
      throw new DependencyError('personalize', (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A runtime call's filterArn and filterValues (a record built with own properties only): the request's
 * filter with its values, else the stage's filter (whose placeholders, if any, it cannot fill).
 */
export function filterOf(
  filterArn: string | undefined,
  values: ReadonlyMap<string, string> | undefined,
): { filterArn?: string; filterValues?: Record<string, string> } {
  if (!filterArn) return {};
  if (!values || values.size === 0) return { filterArn };
  const filterValues: Record<string, string> = Object.create(null);
  for (const [name, value] of values) setOwn(filterValues, name, value);
  return { filterArn, filterValues };
}
