/**
 * Session models (issue 15). Prints, and writes to bench/results/session.md:
 *  1. the next-item protocol on the RSC15 100k development split (train `_train_tr`, test `_train_valid`,
 *     both through `importSessionRec` + the CSV loader, as `osusume import session-rec` + `osusume evaluate
 *     --protocol session --test` run it): HR@20 and MRR@20 with 95 % intervals over sessions, split into
 *     repeat and new targets, under both repeat policies, next to session-rec's anchors
 *     (../shared/data/SESSION_ANCHORS.md, read from the file);
 *  2. MovieLens 100K temporal split (each user's latest 20 % held out), P@10 of the `session` arm
 *     (target: no regression from 0.209) and of `session-knn` alone;
 *  3. the session index at 1M generated sessions × 100k items: build time, bytes, serialised size,
 *     deserialise time, heap, and in-process scoreSession latency (p50/p99) for both policies.
 * Flags: --skip-dev, --skip-ml, --skip-scale, --sessions N (scale part, default 1,000,000).
 * Usage: npx tsx bench/session.ts   (OSUSUME_DATA overrides /work/shared/data)
 */
import '../shared/polyfills.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatColumns } from '../shared/cli/commands/evaluate.js';
import {
  deserializeSessionKnn,
  serializeSessionKnn,
} from '../shared/domain/algorithms/session-knn/serialize.js';
import { type SessionEvent, scoreSession } from '../shared/domain/algorithms/session-knn/session-knn.js';
import type { SessionLog } from '../shared/domain/algorithms/session-knn/session-log.js';
import { sessionIndexBytes } from '../shared/domain/algorithms/session-knn/session-index.js';
import { trainSessionKnnFromLog } from '../shared/domain/algorithms/session-knn/train.js';
import { importMovieLens, importSessionRec } from '../shared/domain/data/importers.js';
import { loadDataset } from '../shared/domain/data/loader.js';
import { evaluateAlgorithms } from '../shared/domain/evaluation/evaluate.js';
import type { NextItemResult } from '../shared/domain/evaluation/next-item.js';
import { evaluateSessions } from '../shared/domain/evaluation/session-protocol.js';
import { Rng } from '../shared/domain/random.js';

const DATA = process.env.OSUSUME_DATA ?? '/work/shared/data';
const DEV = join(DATA, 'yoochoose-rsc15-100k-dev');
const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const opt = (f: string, d: number) => {
  const i = args.indexOf(f);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const md: string[] = [
  '# Session models (`npx tsx bench/session.ts`)',
  '',
  `Shared 2-core machine (8 engineers), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}.`,
  '',
];
const out = (line = '') => {
  console.log(line);
  md.push(line);
};
const table = (head: string[], rows: string[][]) => {
  for (const l of formatColumns(head, rows, true)) console.log(l);
  md.push(
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  );
};
const ci = (r: { value: number; low: number; high: number }) =>
  `${r.value.toFixed(4)} [${r.low.toFixed(4)}, ${r.high.toFixed(4)}]`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** session-rec's figures from SESSION_ANCHORS.md: name → [HR@20, MRR@20, HR@20 excl, MRR@20 excl]. */
function anchors(): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of readFileSync(join(DATA, 'SESSION_ANCHORS.md'), 'utf8').split('\n')) {
    const c = line.split('|').map((x) => x.trim());
    if (c.length < 9 || !/^\d/.test(c[2])) continue;
    m.set(c[1], [
      Number(c[2]),
      Number(c[3]),
      c[6] === '' ? Number.NaN : Number(c[6]),
      c[7] === '' ? Number.NaN : Number(c[7]),
    ]);
  }
  return m;
}

async function dev(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-rsc15-'));
  try {
    await importSessionRec(join(DEV, 'yoochoose-clicks-100k_train_tr.txt'), join(dir, 'train'));
    await importSessionRec(join(DEV, 'yoochoose-clicks-100k_train_valid.txt'), join(dir, 'test'));
    const train = await loadDataset(join(dir, 'train'));
    const test = await loadDataset(join(dir, 'test'));
    const res = evaluateSessions(train, { algorithms: ['session'], test, k: 20 });
    const s = res.split;
    out('## 1. RSC15 100k development split, next-item protocol, K = 20');
    out('');
    out(
      `Train \`_train_tr\` (${s.trainSessions} sessions, ${s.trainInteractions} clicks; the model tunes on its latest 20 % ` +
        `of sessions), test \`_train_valid\` (${s.testSessions} sessions, ${s.testTargets} targets, ` +
        `${(100 * s.repeatShare).toFixed(1)} % repeats). The \`session\` arm's session kNN, as served. Intervals: 95 % over sessions.`,
    );
    out('');
    const rows = res.results.map((r: NextItemResult & { trainMs: number }) => [
      `osusume session (${r.policy})`,
      ci(r.hr),
      ci(r.mrr),
      r.repeat.hr.value.toFixed(4),
      r.repeat.mrr.value.toFixed(4),
      r.new.hr.value.toFixed(4),
      r.new.mrr.value.toFixed(4),
      (r.trainMs / 1000).toFixed(1),
      r.msPerPrefix.toFixed(3),
    ]);
    const a = anchors();
    for (const [name, v] of a)
      for (const [policy, hr, mrr] of [
        ['allow', v[0], v[1]],
        ['exclude', v[2], v[3]],
      ] as const)
        if (Number.isFinite(hr))
          rows.push([
            `[session-rec] ${name} (${policy})`,
            hr.toFixed(4),
            mrr.toFixed(4),
            '',
            '',
            '',
            '',
            '',
            '',
          ]);
    table(
      [
        'algorithm (policy)',
        'HR@20 [95% CI]',
        'MRR@20 [95% CI]',
        'HR rep',
        'MRR rep',
        'HR new',
        'MRR new',
        'train s',
        'ms/prefix',
      ],
      rows,
    );
    out('Targets: above the best session-rec baseline under the same policy.');
    out('');
    for (const [policy, col] of [
      ['allow', 0],
      ['exclude', 2],
    ] as const) {
      const r = res.results.find((x) => x.policy === policy);
      const bestHr = Math.max(...[...a.values()].map((v) => v[col]).filter(Number.isFinite));
      const bestMrr = Math.max(...[...a.values()].map((v) => v[col + 1]).filter(Number.isFinite));
      if (!r) continue;
      out(
        `- ${policy}: HR@20 ${r.hr.value.toFixed(4)} vs best ${bestHr.toFixed(4)} ${r.hr.value > bestHr ? 'PASS' : 'FAIL'}; ` +
          `MRR@20 ${r.mrr.value.toFixed(4)} vs best ${bestMrr.toFixed(4)} ${r.mrr.value > bestMrr ? 'PASS' : 'FAIL'}`,
      );
    }
    out('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function movieLens(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-ml-'));
  try {
    await importMovieLens(join(DATA, 'ml-100k'), dir);
    const d = await loadDataset(dir);
    const r = await evaluateAlgorithms(d, {
      algorithms: ['session', 'session-knn'],
      protocol: 'temporal',
      k: 10,
      seed: 42,
    });
    out(
      '## 2. MovieLens 100K, temporal split (each user’s latest 20 % held out), K = 10, seed 42, popularity fill',
    );
    out('');
    table(
      ['algorithm', 'P@10', 'R@10', 'NDCG@10', 'train s'],
      r.results.map((x) => [
        x.algorithm,
        x.metrics.precision.toFixed(4),
        x.metrics.recall.toFixed(4),
        x.metrics.ndcg.toFixed(4),
        (x.trainMs / 1000).toFixed(1),
      ]),
    );
    const p = r.results.find((x) => x.algorithm === 'session')?.metrics.precision ?? 0;
    out(
      `Target: the session arm's P@10 does not regress from 0.209: ${p.toFixed(4)} ${p >= 0.209 ? 'PASS' : 'FAIL'}.`,
    );
    out('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Generated shop sessions: item popularity Zipf(1.1) over `nItems`; a session starts at a popular item, then
 * 30 % of clicks go back to an item of the session, 50 % to a "related" item near the last one, 20 % anywhere.
 */
function generate(nSessions: number, nItems: number, seed: number): SessionLog {
  const rng = new Rng(seed);
  const zipf = () => Math.min(nItems - 1, Math.floor(nItems ** rng.next() - 1));
  const ptr = new Int32Array(nSessions + 1);
  const items: number[] = [];
  let t = 1_700_000_000;
  const times: number[] = [];
  for (let s = 0; s < nSessions; s++) {
    const len = 2 + Math.min(18, Math.floor(-Math.log(1 - rng.next()) * 2.5));
    const mine: number[] = [zipf()];
    while (mine.length < len) {
      const u = rng.next();
      const last = mine[mine.length - 1];
      mine.push(u < 0.3 ? mine[rng.int(mine.length)] : u < 0.8 ? (last + 1 + rng.int(5)) % nItems : zipf());
    }
    for (const i of mine) {
      t += 15;
      items.push(i);
      times.push(t);
    }
    t += 5;
    ptr[s + 1] = items.length;
  }
  return {
    ptr,
    items: Int32Array.from(items),
    times: Float64Array.from(times),
    eventTypes: new Uint16Array(items.length),
    user: new Int32Array(nSessions).fill(-1),
  };
}

function scale(nSessions: number): void {
  const nItems = 100_000;
  out(
    `## 3. Session index at ${nSessions.toLocaleString('en')} generated sessions × ${nItems.toLocaleString('en')} items`,
  );
  out('');
  const g0 = performance.now();
  const log = generate(nSessions, nItems, 7);
  const genS = (performance.now() - g0) / 1000;
  global.gc?.();
  const heap0 = process.memoryUsage();
  const t0 = performance.now();
  const ids = Array.from({ length: nItems }, (_, i) => `item-${i}`);
  const { model } = trainSessionKnnFromLog(log, ids, [''], {}, { tuneBudget: 0, validationTargets: 2000 });
  const buildS = (performance.now() - t0) / 1000;
  global.gc?.();
  const heap1 = process.memoryUsage();
  const bytes = serializeSessionKnn(model, { includeUsers: false });
  const d0 = performance.now();
  const back = deserializeSessionKnn(bytes);
  const deserMs = performance.now() - d0;
  const rng = new Rng(11);
  const lat: Record<string, number[]> = { allow: [], exclude: [] };
  // the first 300 calls warm the JIT and are not counted
  for (let r = -300; r < 3000; r++) {
    const s = rng.int(nSessions);
    const len = Math.min(log.ptr[s + 1] - log.ptr[s], 1 + rng.int(10));
    const events: SessionEvent[] = [];
    for (let p = log.ptr[s]; p < log.ptr[s] + len; p++)
      events.push({ itemId: ids[log.items[p]], eventType: 'view', timestamp: log.times[p] });
    for (const repeat of ['allow', 'exclude'] as const) {
      const a = performance.now();
      scoreSession(back, events, { k: 20, repeat });
      if (r >= 0) lat[repeat].push(performance.now() - a);
    }
  }
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  table(
    [
      'events',
      'generate s',
      'train s (index + rules + repeat + calibration)',
      'index MiB',
      'serialised MiB',
      'deserialise ms',
      'heap+buffers Δ MiB',
      'score p50 ms (allow / exclude)',
      'score p99 ms (allow / exclude)',
    ],
    [
      [
        log.items.length.toLocaleString('en'),
        genS.toFixed(1),
        buildS.toFixed(1),
        mib(sessionIndexBytes(model.index)),
        mib(bytes.byteLength),
        deserMs.toFixed(1),
        mib(heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers),
        `${pct(lat.allow, 50).toFixed(3)} / ${pct(lat.exclude, 50).toFixed(3)}`,
        `${pct(lat.allow, 99).toFixed(3)} / ${pct(lat.exclude, 99).toFixed(3)}`,
      ],
    ],
  );
  out(
    `Index bounds: each item keeps its ${1000} most recent sessions, each session its last 50 clicks; a request compares at most ` +
      `sampleSize = ${model.params.sampleSize} sessions and scores k = ${model.params.k} neighbours (3,000 sessions of 1-10 events, after the deserialise).`,
  );
  out('');
}

if (!flag('--skip-dev')) await dev();
if (!flag('--skip-ml')) await movieLens();
if (!flag('--skip-scale')) scale(opt('--sessions', 1_000_000));
writeFileSync(new URL('./results/session.md', import.meta.url), `${md.join('\n')}\n`);
console.log('wrote bench/results/session.md');
