import { type SessionKnnSettings, trainSessionKnn } from '../domain/algorithms/session-knn/train.js';
import type { Dataset } from '../domain/data/dataset.js';
import { serializeSessionServing } from '../domain/recommend/session-artifact.js';
import type { ArtifactStore } from '../ports/artifacts.js';
import { sessionServingKey } from './session-index.js';

/**
 * Nightly: trains session kNN on the run's dataset and stores its serving form under the run's version,
 * which the request function loads once the `session` pointer flips to that version.
 */
export async function publishSessionServing(
  artifacts: Pick<ArtifactStore, 'put'>,
  version: string,
  dataset: Dataset,
  settings: Partial<SessionKnnSettings> = {},
): Promise<{ key: string; bytes: number }> {
  const { model } = trainSessionKnn(dataset, {}, settings);
  const bytes = serializeSessionServing(model);
  const key = sessionServingKey(version);
  await artifacts.put(key, bytes);
  return { key, bytes: bytes.byteLength };
}
