import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderArtifactStore } from '../../shared/adapters/local/folder-artifact-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { serializeSessionKnn } from '../../shared/domain/algorithms/session-knn/serialize.js';
import { trainSessionKnn } from '../../shared/domain/algorithms/session-knn/train.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { StoredEvent } from '../../shared/domain/events/events.js';
import { Rng } from '../../shared/domain/random.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import {
  PublishedSessionModel,
  SessionKnnScorer,
  sessionKnnKey,
} from '../../shared/use-cases/session-index.js';
import { RecentEventsSessionSource } from '../../shared/use-cases/session-source.js';

const T0 = 1_780_000_000;

/**
 * 400 shoppers' sessions over 60 items: each walks a chain (i → i+1 → i+2 ...) from a random start and
 * goes back to an item viewed earlier in the session about a third of the time, as real shop sessions do.
 */
function shopSessions() {
  const rng = new Rng(7);
  const b = new DatasetBuilder();
  for (let u = 0; u < 400; u++) {
    let item = rng.int(60);
    const seen: number[] = [];
    const t = T0 + u * 3600;
    for (let p = 0; p < 6; p++) {
      const back = seen.length > 1 && rng.next() < 0.35;
      const at = back ? seen[rng.int(seen.length - 1)] : item;
      b.addInteraction(`u${u}`, `i${at}`, t + p * 30, p === 5 ? 'cart' : 'view');
      seen.push(at);
      if (!back) item = (item + 1) % 60;
    }
  }
  return b.build();
}

const dataset = shopSessions();
const { model } = trainSessionKnn(dataset, {}, { tuneBudget: 0 });
/** What the nightly's session step stores for the request function (shared/pipeline/nightly.ts). */
const publish = (artifacts: FolderArtifactStore, version: string) =>
  artifacts.put(sessionKnnKey(version), serializeSessionKnn(model, { includeUsers: false }));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function folder(): Promise<FolderArtifactStore> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-serving-'));
  dirs.push(dir);
  return new FolderArtifactStore(dir);
}

const visit = (itemIds: string[], sessionId = 'visit'): StoredEvent[] =>
  itemIds
    .map((itemId, k) => ({
      eventId: `${sessionId}-${k}`,
      sessionId,
      eventType: 'view' as const,
      rawEventType: 'view',
      itemId,
      sentAt: (T0 + 900_000 + k * 30) * 1000,
    }))
    .reverse();

describe('the published session model on the request path', () => {
  async function published() {
    const artifacts = await folder();
    const state = new MemoryPipelineStateStore();
    let reads = 0;
    const counted = {
      get: (key: string) => {
        reads++;
        return artifacts.get(key);
      },
    };
    const pointers = new VersionPointers(state, 0);
    return {
      artifacts,
      state,
      pointers,
      model: new PublishedSessionModel(pointers, counted),
      reads: () => reads,
    };
  }

  it('loads the active version once without making requests wait, and the next version after the pointer moves', async () => {
    const p = await published();
    await publish(p.artifacts, 'v1');
    await publish(p.artifacts, 'v2');
    await p.state.setActiveVersion('session', 'v1', undefined);
    // a request does not wait for the load: nothing in memory yet, the neighbour lists answer
    const [first, second] = await Promise.all([p.model.model(), p.model.model()]);
    expect([first, second]).toEqual([undefined, undefined]);
    await p.model.preload();
    const a = await p.model.model();
    expect(a).toBeDefined();
    expect(p.reads()).toBe(1);
    await p.state.setActiveVersion('session', 'v2', 'v1');
    // the previous version answers while the next one loads
    expect(await p.model.model()).toBe(a);
    await p.model.preload();
    const c = await p.model.model();
    expect(c).toBeDefined();
    expect(c).not.toBe(a);
    expect(p.reads()).toBe(2);
  });

  it('answers nothing for a version published without the artifact, so the neighbour lists serve', async () => {
    const p = await published();
    await p.state.setActiveVersion('session', 'old-run', undefined);
    await p.model.preload();
    expect(await p.model.model()).toBeUndefined();
    expect(p.reads()).toBe(1);
    expect(await new SessionKnnScorer(p.model).score(visit(['i1']), 10, 'allow')).toBeUndefined();
    expect(await p.artifacts.open(sessionKnnKey('old-run'))).toBeUndefined();
  });

  it("scores the session arm with the published model: the session's items on their repeat score under allow only", async () => {
    const p = await published();
    await publish(p.artifacts, 'v1');
    await p.state.setActiveVersion('session', 'v1', undefined);
    await p.model.preload();
    const recent = visit(['i20', 'i21', 'i20', 'i22']);
    const events = { recentEvents: async () => recent, sessionEvents: async () => recent };
    const precomputed: CandidateSource = { source: 'session', candidates: async () => [] };
    const source = new RecentEventsSessionSource('session', precomputed, events, {
      recentLimit: 10,
      scorer: new SessionKnnScorer(p.model),
    });
    const allow = await source.candidates('u1', 10, { repeat: 'allow' });
    const exclude = await source.candidates('u1', 10, { repeat: 'exclude' });
    const session = new Set(['i20', 'i21', 'i22']);
    expect(allow.some((i) => session.has(i.itemId))).toBe(true);
    expect(exclude.some((i) => session.has(i.itemId))).toBe(false);
    // the chain continues: the next item of the walk is among the new candidates
    expect(exclude.map((i) => i.itemId)).toContain('i23');
    for (const list of [allow, exclude])
      for (let k = 1; k < list.length; k++) expect(list[k].score).toBeLessThanOrEqual(list[k - 1].score);
  });
});
