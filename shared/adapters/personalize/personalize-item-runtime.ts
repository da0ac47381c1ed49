import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  type PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { DependencyError } from '../../domain/errors.js';
import type { PersonalizeItemRanker, PersonalizeSimilarItems } from '../../ports/candidates.js';
import type { ScoredItem } from '../../ports/types.js';
import { filterOf } from './personalize-runtime.js';

export interface PersonalizeCampaignCall {
  readonly campaignArn: string;
  readonly filterArn?: string;
  /** Hard timeout of one call; the request path never waits longer and never retries. */
  readonly timeoutMs: number;
}

/** Sends one runtime command with an abort at `timeoutMs` (and a race, should a stage ignore the signal). */
async function timed<T>(
  operation: string,
  timeoutMs: number,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = () => new DependencyError('personalize', `${operation} timed out after ${timeoutMs} ms`);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(timeout());
    }, timeoutMs);
  });
  try {
    const call = send(abort.signal);
    call.catch(() => undefined); // a late failure after the deadline must not be unhandled
    return await Promise.race([call, deadline]);
  } catch (err) {
    if (err instanceof DependencyError) throw err;
    if (abort.signal.aborted) throw timeout();
    throw new DependencyError('personalize', (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

function scored(list: readonly { itemId?: string; score?: number }[] | undefined): ScoredItem[] {
  return (list ?? [])
    .filter((i): i is typeof i & { itemId: string } => typeof i.itemId === 'string')
    .map((i) => ({ itemId: i.itemId, score: i.score ?? 0 }));
}

/**
 * GetRecommendations with an itemId on a Similar-Items / SIMS campaign (the client must be built with
 * `maxAttempts: 1`: no SDK retries on the request path).
 */
export class PersonalizeSimilarItemsRuntime implements PersonalizeSimilarItems {
  constructor(
    private readonly client: PersonalizeRuntimeClient,
    private readonly options: PersonalizeCampaignCall,
  ) {}

  async similarItems(input: Parameters<PersonalizeSimilarItems['similarItems']>[0]): Promise<ScoredItem[]> {
    const out = await timed('GetRecommendations', this.options.timeoutMs, (abortSignal) =>
      this.client.send(
        new GetRecommendationsCommand({
          campaignArn: this.options.campaignArn,
          itemId: input.itemId,
          ...(input.userId ? { userId: input.userId } : {}),
          numResults: Math.min(500, Math.max(1, input.numResults)),
          ...filterOf(
            input.filterArn ?? this.options.filterArn,
            input.filterArn ? input.filterValues : undefined,
          ),
        }),
        { abortSignal },
      ),
    );
    return scored(out.itemList);
  }
}

/** GetPersonalizedRanking on a Personalized-Ranking campaign (`maxAttempts: 1` client). */
export class PersonalizeRankingRuntime implements PersonalizeItemRanker {
  constructor(
    private readonly client: PersonalizeRuntimeClient,
    private readonly options: PersonalizeCampaignCall,
  ) {}

  async rank(input: Parameters<PersonalizeItemRanker['rank']>[0]): Promise<ScoredItem[]> {
    const out = await timed('GetPersonalizedRanking', this.options.timeoutMs, (abortSignal) =>
      this.client.send(
        new GetPersonalizedRankingCommand({
          campaignArn: this.options.campaignArn,
          userId: input.userId,
          inputList: [...input.inputList],
          ...filterOf(
            input.filterArn ?? this.options.filterArn,
            input.filterArn ? input.filterValues : undefined,
          ),
        }),
        { abortSignal },
      ),
    );
    return scored(out.personalizedRanking);
  }
}
