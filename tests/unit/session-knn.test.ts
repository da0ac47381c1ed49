import { PackedIds, packIds } from '../../shared/domain/algorithms/session-knn/packed-ids.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getAlgorithm, trainEntry } from '../../shared/domain/algorithms/registry.js';
import { parseSessionKnnOptions } from '../../shared/domain/algorithms/session-knn/options.js';
import {
  deserializeSessionKnn,
  serializeSessionKnn,
} from '../../shared/domain/algorithms/session-knn/serialize.js';
import {
  deserializeSessionArm,
  type SessionArmModel,
  serializeSessionArm,
  sessionKnnOfArm,
  trainSessionArm,
} from '../../shared/domain/algorithms/session-knn/session-arm.js';
import { type SessionEvent, scoreSession } from '../../shared/domain/algorithms/session-knn/session-knn.js';
import { sessionLogOf } from '../../shared/domain/algorithms/session-knn/session-log.js';
import { trainSessionKnn } from '../../shared/domain/algorithms/session-knn/train.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { importSessionRec } from '../../shared/domain/data/importers.js';
import { loadDataset } from '../../shared/domain/data/loader.js';
import { DataError, ValidationError } from '../../shared/domain/errors.js';
import { clusteredRate, evaluateNextItem } from '../../shared/domain/evaluation/next-item.js';
import { evaluateSessions } from '../../shared/domain/evaluation/session-protocol.js';
import { Rng } from '../../shared/domain/random.js';

const ITEMS = 30;
/** Small settings so each training takes milliseconds. */
const FAST = { tuneBudget: 0, validationTargets: 500 };
const PARAMS = { k: 50, sampleSize: 200 };

/**
 * Generated shop sessions with planted structure: after item i comes i+1 (mod ITEMS) 90 % of the time;
 * from the third click on, 60 % of next clicks go back to the item clicked two steps before.
 */
function planted(seed: number, sessions = 600): Dataset {
  const rng = new Rng(seed);
  const b = new DatasetBuilder();
  let t = 1_700_000_000;
  for (let s = 0; s < sessions; s++) {
    const clicks: number[] = [rng.int(ITEMS)];
    const len = 3 + rng.int(4);
    while (clicks.length < len) {
      const last = clicks[clicks.length - 1];
      if (clicks.length >= 2 && rng.next() < 0.6) clicks.push(clicks[clicks.length - 2]);
      else clicks.push(rng.next() < 0.9 ? (last + 1) % ITEMS : rng.int(ITEMS));
    }
    for (const i of clicks) {
      t += 20;
      b.addInteraction(`s${s}`, `i${i}`, t, 'view', Number.NaN, `s${s}`);
    }
    t += 3600;
  }
  return b.build();
}

const events = (ids: string[]): SessionEvent[] =>
  ids.map((itemId, k) => ({ itemId, eventType: 'view', timestamp: 1_800_000_000 + 10 * k }));

describe('session kNN', () => {
  const { model } = trainSessionKnn(planted(1), PARAMS, FAST);

  it('ranks the planted next item first for a one-click session', () => {
    expect(scoreSession(model, events(['i4']), { k: 5, repeat: 'allow' })[0].itemId).toBe('i5');
  });

  it('ranks the item clicked two steps back first under allow, as the learned repeat model says', () => {
    const list = scoreSession(model, events(['i4', 'i5']), { k: 5, repeat: 'allow' });
    expect(list[0].itemId).toBe('i4');
    expect(list[0].score).toBeGreaterThan(0.45);
    expect(list.map((x) => x.itemId)).toContain('i6');
  });

  it('never returns an item of the session under exclude, and ranks the planted successor first', () => {
    const rng = new Rng(7);
    for (let r = 0; r < 50; r++) {
      const ids = Array.from({ length: 1 + rng.int(5) }, () => `i${rng.int(ITEMS)}`);
      const list = scoreSession(model, events(ids), { k: 20, repeat: 'exclude' });
      expect(list.length).toBeGreaterThan(0);
      for (const x of list) expect(ids).not.toContain(x.itemId);
    }
    expect(scoreSession(model, events(['i4', 'i5']), { k: 3, repeat: 'exclude' })[0].itemId).toBe('i6');
  });

  it('returns scores in descending order under both policies', () => {
    for (const repeat of ['allow', 'exclude'] as const) {
      const scores = scoreSession(model, events(['i1', 'i2', 'i9', 'i2']), { k: 20, repeat }).map(
        (x) => x.score,
      );
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });

  it('scores an item unknown to the model as a repeat of the session', () => {
    const list = scoreSession(model, events(['new-item', 'i3']), { k: 10, repeat: 'allow' });
    expect(list.map((x) => x.itemId)).toContain('new-item');
  });

  it('orders events by timestamp, whatever order they come in', () => {
    const ordered = events(['i7', 'i8']);
    expect(scoreSession(model, [ordered[1], ordered[0]], { k: 5, repeat: 'allow' })).toEqual(
      scoreSession(model, ordered, { k: 5, repeat: 'allow' }),
    );
  });

  it('scores the same after a serialise / deserialise round trip', () => {
    const back = deserializeSessionKnn(serializeSessionKnn(model));
    const s = events(['i3', 'i4', 'i3']);
    expect(scoreSession(back, s, { k: 10, repeat: 'allow' })).toEqual(
      scoreSession(model, s, { k: 10, repeat: 'allow' }),
    );
    expect(back.recommend(0, 5)).toEqual(model.recommend(0, 5));
  });

  it('finds every packed item id by its bytes and no id it does not hold', () => {
    const ids = ['i1', 'ａｂｃ', '商品-42', 'i10', '', 'x'.repeat(256), 'emoji-😀', 'i1-bis'];
    const packed = new PackedIds(packIds(ids));
    expect(ids.map((id) => packed.indexOf(id))).toEqual(ids.map((_, i) => i));
    expect(ids.map((_, i) => packed.idAt(i))).toEqual(ids);
    for (const unknown of ['i2', 'i1 ', 'I1', '商品-4', 'x'.repeat(255), 'emoji-😁'])
      expect(packed.indexOf(unknown)).toBe(-1);
  });

  it('rejects packed ids whose offsets do not match their bytes, as a DataError', () => {
    const good = packIds(['a', 'b']);
    expect(() => new PackedIds({ ...good, offsets: Int32Array.from([0, 1, 5]) })).toThrow(
      expect.objectContaining({ code: 'DataError' }),
    );
  });

  it('stores the session arm as one artefact whose kNN part the request path reads alone', () => {
    const data = planted(5, 200);
    const arm = trainSessionArm(data, { knn: { ...PARAMS, ...FAST } });
    const bytes = serializeSessionArm(arm);
    const s = events(['i3', 'i4']);
    const want = scoreSession(arm.knn, s, { k: 10, repeat: 'allow' });
    expect(scoreSession(sessionKnnOfArm(bytes), s, { k: 10, repeat: 'allow' })).toEqual(want);
    expect(deserializeSessionArm(bytes, data).recommend(0, 5)).toEqual(arm.recommend(0, 5));
  });

  it('serves a smaller neighbour search when the validation p99 work exceeds the serving budget', () => {
    const data = planted(3, 2000);
    const settings = { tuneBudget: 0, validationTargets: 300 };
    const free = trainSessionKnn(data, {}, { ...settings, servingWorkBudget: 0 });
    // a budget the grid's smallest search (sampleSize 500, k 100) fits and the defaults do not
    const small = trainSessionKnn(data, { sampleSize: 500, k: 100 }, { ...settings, servingWorkBudget: 0 });
    const budget = small.servingWork?.p99 ?? 0;
    expect(free.servingWork?.p99).toBeGreaterThan(budget);
    const bounded = trainSessionKnn(data, {}, { ...settings, servingWorkBudget: budget });
    expect(free.model.params).toMatchObject({ sampleSize: 2500, k: 2000 });
    const { k, sampleSize } = bounded.model.params;
    expect(k < 2000 || sampleSize < 2500).toBe(true);
    expect(bounded.servingWork?.p99).toBeLessThanOrEqual(budget);
  });

  it('tunes on the latest training sessions within its budget and never ends below its start', () => {
    const { tuning } = trainSessionKnn(planted(2, 300), PARAMS, { tuneBudget: 6, validationTargets: 300 });
    expect(tuning?.evaluations).toBeLessThanOrEqual(6);
    expect(tuning?.bestObjective).toBeGreaterThanOrEqual(tuning?.defaultObjective ?? 1);
    expect(tuning?.params.k).toBe(50); // a parameter fixed by the caller is not searched
  });

  it('trains the session arm from a stored kNN choice without searching, explicit kNN params still winning', () => {
    const data = planted(4, 300);
    const search = getAlgorithm('session').ownSearch;
    const searched = trainEntry(
      getAlgorithm('session'),
      data,
      { knn: { tuneBudget: 4, validationTargets: 300 } },
      1,
    );
    const chosen = search?.chosen(searched);
    expect(chosen?.report).toMatchObject({ evaluations: 4 });
    const options = search?.withoutSearch(
      { knn: { tuneBudget: 4, validationTargets: 300, k: 7 } },
      chosen?.params,
    );
    const reused = trainEntry(getAlgorithm('session'), data, options, 1) as SessionArmModel;
    expect(search?.chosen(reused)).toBeUndefined();
    expect(reused.knn.params).toEqual({ ...chosen?.params, k: 7 });
  });

  it('rejects an unknown option naming it', () => {
    expect(() => parseSessionKnnOptions({ neighbors: 10 })).toThrow(/neighbors/);
    expect(() => trainEntry(getAlgorithm('session-knn'), planted(3, 20), { k: 'many' }, 1)).toThrow(
      ValidationError,
    );
  });
});

describe('sessions of a dataset', () => {
  it('cuts a user’s events at a 30-minute gap without SESSION_ID, and follows SESSION_ID when present', () => {
    const b = new DatasetBuilder();
    for (const [t, item] of [
      [0, 'a'],
      [600, 'b'],
      [600 + 31 * 60, 'c'],
    ] as const)
      b.addInteraction('u', item, t);
    expect(Array.from(sessionLogOf(b.build()).ptr)).toEqual([0, 2, 3]);
    const c = new DatasetBuilder();
    c.addInteraction('u', 'a', 0, '', Number.NaN, 's1');
    c.addInteraction('u', 'b', 5000, '', Number.NaN, 's1');
    c.addInteraction('u', 'c', 5001, '', Number.NaN, 's2');
    expect(Array.from(sessionLogOf(c.build()).ptr)).toEqual([0, 2, 3]);
  });

  it('imports session-rec’s prepared format into CSVs the loader reads with their sessions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osusume-srec-'));
    try {
      const src = join(dir, 'train.txt');
      await writeFile(
        src,
        'SessionId\tItemId\tTime\n1\t10\t1396437466.94\n1\t11\t1396437500.1\n2\t10\t1396438000\n',
      );
      const summary = await importSessionRec(src, join(dir, 'out'));
      expect(summary).toMatchObject({ interactions: 3, users: 2, items: 2 });
      const d = await loadDataset(join(dir, 'out'));
      expect(d.sessions?.ids).toEqual(['1', '2']);
      expect(Array.from(sessionLogOf(d).ptr)).toEqual([0, 2, 3]);
      expect(await readFile(join(dir, 'out', 'interactions.csv'), 'utf8')).toContain(
        '1,10,1396437466,click,1',
      );
      await writeFile(src, 'SessionId\tItemId\tTime\n1\t10\t1396437466\n1\t11\n');
      const err = await importSessionRec(src, join(dir, 'bad')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect(String((err as Error).message)).toMatch(/expected 3 fields/);
      expect(JSON.stringify(err)).toMatch(/:3|"line":3/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips a row with an empty SESSION_ID as a bad row naming the column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osusume-sid-'));
    try {
      await writeFile(
        join(dir, 'interactions.csv'),
        'USER_ID,ITEM_ID,TIMESTAMP,SESSION_ID\nu,a,1,s1\nu,b,2,\nu,c,3,s1\n',
      );
      const d = await loadDataset(join(dir));
      expect(d.interactions.length).toBe(2);
      expect(d.stats.interactions.errors[0]).toMatch(/:3: empty SESSION_ID/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('next-item evaluation', () => {
  it('counts every position as a target and splits repeat from new targets', () => {
    // ranks the prefix's items newest first: hits repeats of the last click, never a new item
    const rankLast = (prefix: readonly SessionEvent[]) => [...prefix].reverse().map((e) => e.itemId);
    const r = evaluateNextItem('last', [{ events: events(['a', 'a', 'b']) }], rankLast, {
      k: 20,
      policy: 'allow',
    });
    expect(r.targets).toBe(2);
    expect(r.hr.value).toBe(0.5);
    expect(r.repeat).toMatchObject({ targets: 1, hr: { value: 1 }, mrr: { value: 1 } });
    expect(r.new).toMatchObject({ targets: 1, hr: { value: 0 } });
  });

  it('gives a 95 % interval over sessions (ratio estimator, sessions as clusters)', () => {
    const r = clusteredRate([1, 0], [1, 1]);
    expect(r.value).toBe(0.5);
    expect(r.high - r.value).toBeCloseTo(1.96 * 0.5, 2);
  });

  it('scores held-out sessions with the session arm’s kNN part, repeats winning hits under allow', () => {
    const knn = { ...PARAMS, ...FAST };
    const res = evaluateSessions(planted(4, 400), {
      algorithms: ['session-knn', 'session'],
      trainOptions: new Map<string, unknown>([
        ['session-knn', knn],
        ['session', { knn }],
      ]),
    });
    expect(res.split.repeatShare).toBeGreaterThan(0.3);
    const hr = (a: string, p: string) =>
      res.results.find((x) => x.algorithm === a && x.policy === p)?.hr.value ?? 0;
    expect(hr('session', 'allow')).toBe(hr('session-knn', 'allow'));
    expect(hr('session', 'allow')).toBeGreaterThan(hr('session', 'exclude') + 0.2);
  });
});
