import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dataset } from '../domain/data/dataset.js';
import {
  DATASET_FILES,
  type LazyStream,
  type LoadOptions,
  loadDatasetFromStreams,
} from '../domain/data/loader.js';
import { DataError } from '../domain/errors.js';
import type { ArtifactStore } from '../ports/artifacts.js';

/** Artifact keys of one run (version): the dataset snapshot and the trained models. */
export const runKeys = {
  snapshot: (version: string) => `runs/${version}/dataset`,
  file: (snapshot: string, file: keyof typeof DATASET_FILES) => `${snapshot}/${DATASET_FILES[file]}`,
  model: (version: string, algorithm: string) => `runs/${version}/models/${algorithm}.bin`,
  /** The model Evaluate scores when the published one is refit on the whole snapshot (refitForPublishing). */
  evaluatedModel: (version: string, algorithm: string) => `runs/${version}/models/${algorithm}.evaluated.bin`,
};

/**
 * Copies the 3 CSVs of a dataset (s3://bucket/prefix or a folder) into the run's snapshot prefix, so every
 * task of the run reads the same bytes even if the source changes meanwhile. interactions.csv is required.
 */
export async function snapshotDataset(
  artifacts: ArtifactStore,
  source: string,
  snapshot: string,
): Promise<string[]> {
  const base = source.replace(/\/+$/, '');
  const copied: string[] = [];
  for (const file of ['interactions', 'users', 'items'] as const) {
    const ok = await artifacts.copyFrom(`${base}/${DATASET_FILES[file]}`, runKeys.file(snapshot, file));
    if (ok) copied.push(DATASET_FILES[file]);
    else if (file === 'interactions')
      throw new DataError(
        'file not found: a dataset needs interactions.csv',
        `${base}/${DATASET_FILES.interactions}`,
      );
  }
  return copied;
}

let cached: { snapshot: string; dataset: Promise<Dataset> } | undefined;

/**
 * Loads a run's snapshot with the streaming loader (errors name the file URI and line). The last snapshot
 * stays cached per process: warm Lambda containers and the local runner load each snapshot once.
 */
export function loadSnapshot(
  artifacts: ArtifactStore,
  snapshot: string,
  options?: LoadOptions,
): Promise<Dataset> {
  if (cached?.snapshot === snapshot) return cached.dataset;
  const dataset = (async () => {
    const open = async (file: keyof typeof DATASET_FILES) => {
      const key = runKeys.file(snapshot, file);
      const stream = await artifacts.open(key);
      return stream && { name: artifacts.uri(key), stream };
    };
    const interactions = await open('interactions');
    if (!interactions)
      throw new DataError(
        'snapshot has no interactions.csv',
        artifacts.uri(runKeys.file(snapshot, 'interactions')),
      );
    // the merged event parts Prepare wrote (none for a snapshot taken without an event export); each
    // is opened only when the loader reaches it, so many parts never hold many S3 connections open
    // the same for the merged live users/items writes (users-00000.csv, items-00000.csv, ...)
    const lazyParts = async (prefix: string): Promise<LazyStream[]> =>
      (await artifacts.list(`${snapshot}/${prefix}-`))
        .filter((k) => k.endsWith('.csv'))
        .map((key) => ({
          name: artifacts.uri(key),
          open: () => {
            const out = new PassThrough();
            artifacts.open(key).then(
              (s) => (s ? pipeline(s, out).catch((err) => out.destroy(err)) : out.end()),
              (err) => out.destroy(err),
            );
            return out;
          },
        }));
    const [events, userParts, itemParts] = await Promise.all([
      lazyParts('events'),
      lazyParts('users'),
      lazyParts('items'),
    ]);
    return loadDatasetFromStreams(
      { interactions, users: await open('users'), items: await open('items'), events, userParts, itemParts },
      options,
    );
  })();
  cached = { snapshot, dataset };
  // a failed load must not stay cached
  dataset.catch(() => {
    if (cached?.dataset === dataset) cached = undefined;
  });
  return dataset;
}
