import { TtlCache } from '../domain/cache.js';
import { DependencyError } from '../domain/errors.js';
import type { ParameterReader } from '../ports/parameters.js';

/**
 * The campaign ARN the `personalize` arm serves from, read from the parameter the retraining state
 * machine writes after a campaign update (one source of truth), cached for `ttlMs`: a new campaign
 * reaches serving within the TTL without a redeploy. A failed read answers the last good ARN.
 */
export class CachedCampaignArn {
  private readonly cache: TtlCache<'arn', string>;

  constructor(
    private readonly parameters: ParameterReader,
    private readonly name: string,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }

  /** The current campaign ARN; throws DependencyError when the parameter is missing and nothing is cached. */
  async arn(): Promise<string> {
    const { value } = await this.cache.read(
      'arn',
      async () => {
        const arn = await this.parameters.get(this.name);
        if (!arn?.startsWith('arn:'))
          throw new DependencyError(
            'personalize-campaign',
            `parameter ${this.name} holds no campaign ARN yet (run the Personalize retraining)`,
          );
        return arn;
      },
      Number.POSITIVE_INFINITY,
      'personalize-campaign',
    );
    return value;
  }
}
