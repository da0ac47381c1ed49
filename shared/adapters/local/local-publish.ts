import { getContainer } from '../../composition.js';
import type { Dataset } from '../../domain/data/dataset.js';
import { publishPopularity } from '../../use-cases/publish-popularity.js';

/**
 * What `npm start` publishes before serving, through the same adapters the Lambdas use. The nightly
 * state machine (statemachines/) replaces this with the full pipeline once it runs locally.
 */
export async function runLocalPublish(dataset: Dataset, log: (line: string) => void): Promise<void> {
  const c = getContainer();
  const t = Date.now();
  const result = await publishPopularity(
    { popularity: c.popularityStore, profiles: c.profiles, state: c.state },
    dataset,
    { segmentColumns: c.config.SEGMENT_COLUMNS },
  );
  log(
    `published popularity version ${result.version}: ${result.lists} lists, ${result.profiles} user profiles (${Date.now() - t} ms)`,
  );
}
