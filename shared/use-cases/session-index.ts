import type { RepeatPolicy } from '../domain/experiments/experiments.js';
import type { StoredEvent } from '../domain/events/events.js';
import { type SessionKnnModel, scoreSession } from '../domain/algorithms/session-knn/session-knn.js';
import { deserializeSessionServing } from '../domain/recommend/session-artifact.js';
import type { ArtifactStore } from '../ports/artifacts.js';
import type { ScoredItem } from '../ports/types.js';
import type { VersionPointers } from './candidate-sources.js';

/** Artifact key of a run's session serving model (next to the run's other models). */
export const sessionServingKey = (version: string) => `runs/${version}/models/session-knn.serving.bin`;

/** Scores a visitor's session events (newest first) for the session arm. */
export interface SessionScorer {
  /**
   * Up to `n` items, best first, scores descending; undefined when no model is published (the arm
   * then uses the neighbour lists). Under `allow` the session's own items come back on their learned
   * repeat score; under `exclude` never.
   */
  score(recent: readonly StoredEvent[], n: number, repeat: RepeatPolicy): Promise<ScoredItem[] | undefined>;
}

/**
 * The published session model of the active `session` version, held in memory: one version at a time
 * (the previous one is dropped once the next is loaded), loaded once per version and shared by
 * concurrent requests. `preload()` starts the load during the function's init so that the first request
 * finds it ready.
 */
export class PublishedSessionModel {
  private current?: { version: string; model: Promise<SessionKnnModel | undefined> };
  constructor(
    private readonly pointers: VersionPointers,
    private readonly artifacts: Pick<ArtifactStore, 'get'>,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** The active version's model; undefined when nothing is published or its artifact cannot be read. */
  async model(): Promise<SessionKnnModel | undefined> {
    const version = await this.pointers.active('session');
    if (version === undefined) return undefined;
    if (this.current?.version !== version) {
      const loading = this.load(version);
      this.current = { version, model: loading };
    }
    return this.current.model;
  }

  /** Starts loading the active version (never throws). */
  preload(): Promise<unknown> {
    return this.model().catch((err) => this.onError?.(err));
  }

  private async load(version: string): Promise<SessionKnnModel | undefined> {
    try {
      return deserializeSessionServing(await this.artifacts.get(sessionServingKey(version)));
    } catch (err) {
      // an older run without the artifact: the neighbour lists serve; retried on the next version
      this.onError?.(err);
      return undefined;
    }
  }
}

/** The session arm's scorer on the published session kNN model (scoreSession). */
export class SessionKnnScorer implements SessionScorer {
  constructor(private readonly published: PublishedSessionModel) {}

  async score(
    recent: readonly StoredEvent[],
    n: number,
    repeat: RepeatPolicy,
  ): Promise<ScoredItem[] | undefined> {
    const model = await this.published.model();
    if (!model) return undefined;
    const events = recent.map((e) => ({
      itemId: e.itemId,
      eventType: e.rawEventType,
      timestamp: e.sentAt / 1000,
    }));
    return scoreSession(model, events, { k: n, repeat });
  }
}
