import type { RepeatPolicy } from '../domain/experiments/experiments.js';
import type { StoredEvent } from '../domain/events/events.js';
import { type SessionKnnModel, scoreSession } from '../domain/algorithms/session-knn/session-knn.js';
import { deserializeSessionKnn } from '../domain/algorithms/session-knn/serialize.js';
import type { ArtifactStore } from '../ports/artifacts.js';
import type { ScoredItem } from '../ports/types.js';
import type { VersionPointers } from './candidate-sources.js';

/** The arm (and algorithm) whose stored model holds the session kNN part the request function scores with. */
export const SESSION_ARM = 'session';

/**
 * Artifact key of a run's session kNN part alone (next to the run's `session.bin`, which also holds the
 * per-user lists the request function never reads: tens of MB less to fetch at cold init).
 */
export const sessionKnnKey = (version: string) => `runs/${version}/models/${SESSION_ARM}.knn.bin`;

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
 * The published session model of the active `session` version, held in memory: loaded once per version
 * and shared by concurrent requests. A request never waits for a load: until the active version's model
 * is in memory the previous version's answers (or none, and the arm scores with the neighbour lists), so
 * a cold function or a pointer flip costs no request its budget. At most two versions are held, and only
 * while the next one loads. `preload()` starts (and awaits) the load during the function's init.
 */
export class PublishedSessionModel {
  private loaded?: { version: string; model: SessionKnnModel };
  private loading?: { version: string; done: Promise<unknown> };
  /** A version whose artifact could not be read (an older run): not retried until the pointer moves. */
  private missing?: string;
  constructor(
    private readonly pointers: VersionPointers,
    private readonly artifacts: Pick<ArtifactStore, 'get'>,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** The model in memory for the active version (or the previous one while it loads); starts a load. */
  async model(): Promise<SessionKnnModel | undefined> {
    const version = await this.pointers.active(SESSION_ARM);
    if (version === undefined) return undefined;
    if (this.loaded?.version === version) return this.loaded.model;
    if (this.missing === version) return undefined;
    this.startLoad(version);
    return this.loaded?.model;
  }

  /** Loads the active version's model and resolves once it is in memory (or known missing); never throws. */
  async preload(): Promise<void> {
    try {
      const version = await this.pointers.active(SESSION_ARM);
      if (version === undefined || this.loaded?.version === version) return;
      await this.startLoad(version);
    } catch (err) {
      this.onError?.(err);
    }
  }

  private startLoad(version: string): Promise<unknown> {
    if (this.loading?.version === version) return this.loading.done;
    const done = this.artifacts.get(sessionKnnKey(version)).then(
      (bytes) => {
        // arrays are views of the artifact's bytes
        const model = deserializeSessionKnn(bytes);
        // the previous version is dropped here: only the active one stays referenced
        if (this.loading?.version === version) this.loaded = { version, model };
      },
      (err) => {
        // an older run without the artifact: the neighbour lists serve this version
        this.missing = version;
        this.onError?.(err);
      },
    );
    const settle = () => {
      if (this.loading?.version === version) this.loading = undefined;
    };
    this.loading = { version, done: done.finally(settle) };
    return this.loading.done;
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
