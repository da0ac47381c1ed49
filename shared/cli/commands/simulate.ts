import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import type { EventType } from '../../domain/events/events.js';
import { Rng } from '../../domain/random.js';
import { fetchApi } from '../http.js';
import { loadDatasetReporting } from '../load-data.js';
import { intOption } from '../options.js';

interface SimulateOptions {
  api?: string;
  appKey?: string;
  data: string;
  users: string;
  seed: string;
  holdout: string;
  concurrency: string;
  numResults: string;
  slot?: string;
  writeTrain?: string;
  days: string;
  token?: string;
}

const DAY_MS = 86_400_000;

/** What one simulated user did. */
interface UserOutcome {
  arm: string;
  hits: number;
  events: Record<EventType, number>;
  stored: number;
  duplicates: number;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, i: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function progress(done: number, total: number, started: number): void {
  // off a terminal: every tenth, not the empty bar (an error right away is then the only line on stderr)
  if (
    !process.stderr.isTTY &&
    (done === 0 || (done !== total && done % Math.max(1, Math.floor(total / 10)) !== 0))
  )
    return;
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  const secs = (performance.now() - started) / 1000;
  process.stderr.write(
    `${process.stderr.isTTY ? '\r' : ''}[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} users, ${secs.toFixed(1)} s${process.stderr.isTTY ? '' : '\n'}`,
  );
}

async function callApi(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetchApi(url, init);
  const text = await res.text();
  if (!res.ok)
    throw new ValidationError(`${init?.method ?? 'GET'} ${url} answered ${res.status}: ${text}`, 'api');
  return JSON.parse(text);
}

/**
 * `osusume simulate`: replays the held-out part of a dataset against a running API. Each simulated user
 * asks for recommendations, and for every recommended item they really interacted with in the held-out
 * part, the events they had with it are posted (with the recommendationId), so `osusume ab-report`
 * compares the arms on real behaviour. `--write-train DIR` writes the training part to start the API on
 * (otherwise the models have seen, and exclude, the held-out items).
 */
export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'replay the held-out part of a dataset against the API: recommendations, then the real events',
    )
    .requiredOption('--data <dir>', 'dataset folder (interactions.csv, users.csv, items.csv)')
    .option('--api <url>', 'base URL of the running API (osusume start prints it)')
    .option(
      '--app-key <key>',
      'app key sent as x-api-key (default $OSUSUME_APP_KEY; osusume start prints it)',
    )
    .option('--users <n>', 'simulated users', '100')
    .option('--seed <n>', 'seed for picking users', '42')
    .option('--holdout <share>', "share of each user's latest interactions held out", '0.2')
    .option('--concurrency <n>', 'users in flight at once', '8')
    .option('--num-results <n>', 'recommendations asked per user', '25')
    .option('--slot <name>', 'slot to ask recommendations for (default slot when absent)')
    .option(
      '--days <n>',
      'spread the users over the last n days (1..30): lists served at, and events sent on, their day',
      '1',
    )
    .option(
      '--token <token>',
      'admin token for --days above 1 (default $OSUSUME_ADMIN_TOKEN): servedAt is an admin parameter',
    )
    .option(
      '--write-train <dir>',
      'write the training part (without the held-out interactions) here and exit',
    )
    .action(async (opts: SimulateOptions) => {
      const holdout = Number(opts.holdout);
      if (!(holdout > 0 && holdout < 1)) throw new ValidationError('--holdout must be in (0, 1)', 'holdout');
      const { DATASET_FILES } = await import('../../domain/data/loader.js');
      const { holdOutLast, interactionsCsv } = await import('../../domain/measurement/simulation.js');
      const dataset = await loadDatasetReporting(resolve(opts.data));
      const split = holdOutLast(dataset, holdout);
      if (opts.writeTrain) {
        const out = resolve(opts.writeTrain);
        await mkdir(out, { recursive: true });
        await writeFile(join(out, DATASET_FILES.interactions), interactionsCsv(dataset, split.trainRows));
        for (const file of [DATASET_FILES.users, DATASET_FILES.items]) {
          const from = join(resolve(opts.data), file);
          if (existsSync(from)) await copyFile(from, join(out, file));
        }
        console.log(
          `wrote the training part to ${out}: ${split.trainRows.length} of ${dataset.interactions.length} interactions ` +
            `(${split.heldOut.size} users with held-out interactions); start the API on it: npm start -- --data ${out}`,
        );
        return;
      }
      if (!opts.api) throw new ValidationError('--api URL is required (or --write-train DIR)', 'api');
      const api = opts.api.replace(/\/+$/, '');
      const appKey = opts.appKey ?? process.env.OSUSUME_APP_KEY;
      if (!appKey)
        throw new ValidationError(
          '--app-key is required with --api (osusume start prints the app key)',
          'app-key',
        );
      const call = (url: string, init: RequestInit = {}) =>
        callApi(url, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), 'x-api-key': appKey },
        });
      const wanted = intOption(opts.users, '--users', 1, 10_000_000);
      const concurrency = intOption(opts.concurrency, '--concurrency', 1, 1000);
      const numResults = intOption(opts.numResults, '--num-results', 1, 500);
      const seed = intOption(opts.seed, '--seed', 0, 2 ** 31 - 1);
      const days = intOption(opts.days, '--days', 1, 30);
      const token = opts.token ?? process.env.OSUSUME_ADMIN_TOKEN;
      if (days > 1 && !token)
        throw new ValidationError(
          '--days above 1 needs the admin token (--token or $OSUSUME_ADMIN_TOKEN): servedAt is an admin parameter',
          'token',
        );
      const startedAt = Date.now();
      const candidates = [...split.heldOut.keys()];
      const rng = new Rng(seed);
      // partial Fisher-Yates: a seeded sample of users who have held-out interactions
      const n = Math.min(wanted, candidates.length);
      for (let i = 0; i < n; i++) {
        const j = i + rng.int(candidates.length - i);
        [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
      }
      const users = candidates.slice(0, n);
      const outcomes: UserOutcome[] = [];
      const started = performance.now();
      let done = 0;
      let requests = 0;
      progress(0, users.length, started);
      await pool(users, concurrency, async (u, index) => {
        const userId = dataset.users.ids[u];
        const query = new URLSearchParams({ numResults: String(numResults) });
        if (opts.slot) query.set('slot', opts.slot);
        // user k is served k mod days days ago (same time of day): the impression at servedAt, its events just after
        const back = index % days;
        const servedAt = Math.floor((startedAt - back * DAY_MS) / 1000);
        if (back > 0) query.set('servedAt', String(servedAt));
        const rec = (await call(
          `${api}/users/${encodeURIComponent(userId)}/recommendations?${query}`,
          back > 0 ? { headers: { authorization: `Bearer ${token}` } } : {},
        )) as {
          recommendationId: string;
          arm: string;
          itemList: { itemId: string }[];
        };
        requests++;
        const held = split.heldOut.get(u)!;
        const events: {
          eventId: string;
          eventType: EventType;
          itemId: string;
          sentAt: number;
          recommendationId: string;
        }[] = [];
        let hits = 0;
        for (const { itemId } of rec.itemList) {
          const types = held.get(dataset.items.get(itemId));
          if (!types) continue;
          hits++;
          for (const eventType of types) {
            events.push({
              eventId: `sim-${seed}-${index}-${events.length}`,
              eventType,
              itemId,
              sentAt: back > 0 ? servedAt + 1 : Math.floor(Date.now() / 1000),
              recommendationId: rec.recommendationId,
            });
          }
        }
        const outcome: UserOutcome = {
          arm: rec.arm,
          hits,
          events: { view: 0, favorite: 0, cart: 0, purchase: 0 },
          stored: 0,
          duplicates: 0,
        };
        for (let k = 0; k < events.length; k += 10) {
          const eventList = events.slice(k, k + 10);
          const r = (await call(`${api}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId, sessionId: `sim-${seed}-${index}`, eventList }),
          })) as { stored: number; duplicates: string[] };
          requests++;
          outcome.stored += r.stored;
          outcome.duplicates += r.duplicates.length;
          for (const e of eventList) outcome.events[e.eventType]++;
        }
        outcomes.push(outcome);
        progress(++done, users.length, started);
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const secs = (performance.now() - started) / 1000;
      const byArm = new Map<string, { users: number; hits: number; events: Record<EventType, number> }>();
      for (const o of outcomes) {
        const a = byArm.get(o.arm) ?? {
          users: 0,
          hits: 0,
          events: { view: 0, favorite: 0, cart: 0, purchase: 0 },
        };
        a.users++;
        a.hits += o.hits;
        for (const t of Object.keys(o.events) as EventType[]) a.events[t] += o.events[t];
        byArm.set(o.arm, a);
      }
      const stored = outcomes.reduce((s, o) => s + o.stored, 0);
      const duplicates = outcomes.reduce((s, o) => s + o.duplicates, 0);
      console.log(
        `simulated ${outcomes.length} users${days > 1 ? ` over the last ${days} days` : ''} in ${secs.toFixed(1)} s (${requests} requests): ${stored} events stored, ${duplicates} already stored`,
      );
      for (const [arm, a] of [...byArm].sort()) {
        console.log(
          `  ${arm.padEnd(14)} ${String(a.users).padStart(5)} users  ${String(a.hits).padStart(5)} held-out items recommended  ` +
            `view ${a.events.view}  favorite ${a.events.favorite}  cart ${a.events.cart}  purchase ${a.events.purchase}`,
        );
      }
      console.log(`next: osusume ab-report --api ${api} --token <admin token> [--chart ab.svg]`);
    });
}
