import { filterInteractions } from '../data/builder.js';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { Rng } from '../random.js';

/** How interactions are divided into a training set and per-user held-out targets. */
export type SplitProtocol = 'random' | 'temporal' | 'personalize';

export const SPLIT_PROTOCOLS: readonly SplitProtocol[] = ['personalize', 'random', 'temporal'];

/**
 * Held-out targets per user as CSR over the dataset's user index: user u's targets are
 * `items[offsets[u] .. offsets[u+1])`, distinct and sorted ascending. Users with no targets have an empty range.
 */
export interface HeldOut {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

export interface Split {
  readonly protocol: SplitProtocol;
  /** The dataset restricted to training rows; same id indices and attributes as the input. */
  readonly train: Dataset;
  readonly test: HeldOut;
  /** Number of users with at least one held-out target. */
  readonly testUsers: number;
}

export interface SplitOptions {
  readonly seed?: number;
  /**
   * Share of each user's interactions held out (`random`, `temporal`: default 0.2; `personalize`: default 0.1
   * of each held-out user's latest interactions).
   */
  readonly testFraction?: number;
  /** `personalize` only: share of users held out (default 0.1). */
  readonly userFraction?: number;
}

/** Rows of each user, grouped (CSR over users of interaction row indices, in row order). */
function rowsByUser(dataset: Dataset): { offsets: Int32Array; rows: Int32Array } {
  const { user, length } = dataset.interactions;
  const n = dataset.users.size;
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < length; r++) offsets[user[r] + 1]++;
  for (let u = 0; u < n; u++) offsets[u + 1] += offsets[u];
  const fill = offsets.slice(0, n);
  const rows = new Int32Array(length);
  for (let r = 0; r < length; r++) rows[fill[user[r]]++] = r;
  return { offsets, rows };
}

/** Sorts a user's rows by timestamp in place; ties keep row (file) order so splits are deterministic. */
function sortByTime(rows: Int32Array, ts: Float64Array): void {
  const sorted = Array.from(rows).sort((a, b) => ts[a] - ts[b] || a - b);
  rows.set(sorted);
}

/** How many of `n` rows to hold out: round(n·f), never all of them unless `atLeastOne` forces one. */
function heldOutCount(n: number, fraction: number, atLeastOne: boolean): number {
  if (n === 0) return 0;
  let k = Math.round(n * fraction);
  if (atLeastOne) return Math.min(n, Math.max(1, k));
  if (k >= n) k = n - 1; // keep at least one training row for the user
  return Math.max(0, k);
}

/**
 * Splits a dataset for offline evaluation (seeded, deterministic).
 *
 * - `random`: each user's interaction rows are shuffled; round(20%) are held out, the rest train.
 * - `temporal`: each user's latest round(20%) rows (by timestamp) are held out.
 * - `personalize`: mirrors Amazon Personalize solution metrics: 10% of users (seeded) are held out and their
 *   latest 10% of interactions (at least one) are the ground truth; everything else, including those users'
 *   earliest 90%, trains.
 *
 * Targets are distinct items; an item that also appears in the user's training rows is not a target (a
 * recommender removes seen items, so it could never be hit).
 */
export function splitDataset(dataset: Dataset, protocol: SplitProtocol, options: SplitOptions = {}): Split {
  const { rows, offsets, isTest } = markHeldOut(dataset, protocol, options);
  const train = filterInteractions(dataset, (r) => isTest[r] === 0);
  const test = buildHeldOut(dataset, rows, offsets, isTest);
  return { protocol, train, test, testUsers: countUsers(test) };
}

/**
 * The held-out targets splitDataset would return for the same arguments, without copying the training
 * rows (the nightly shards only need to know which items a model trained on the split never saw).
 */
export function heldOutTargets(
  dataset: Dataset,
  protocol: SplitProtocol,
  options: SplitOptions = {},
): HeldOut {
  const { rows, offsets, isTest } = markHeldOut(dataset, protocol, options);
  return buildHeldOut(dataset, rows, offsets, isTest);
}

function countUsers(test: HeldOut): number {
  let n = 0;
  for (let u = 0; u + 1 < test.offsets.length; u++) if (test.offsets[u + 1] > test.offsets[u]) n++;
  return n;
}

/** Marks the held-out interaction rows (isTest[r] = 1) by the protocol's rule; see splitDataset. */
function markHeldOut(
  dataset: Dataset,
  protocol: SplitProtocol,
  options: SplitOptions,
): { rows: Int32Array; offsets: Int32Array; isTest: Uint8Array } {
  if (!SPLIT_PROTOCOLS.includes(protocol)) {
    throw new ValidationError(
      `unknown protocol "${protocol}"; allowed: ${SPLIT_PROTOCOLS.join(', ')}`,
      'protocol',
    );
  }
  const rng = new Rng(options.seed ?? 42);
  const nUsers = dataset.users.size;
  const { offsets, rows } = rowsByUser(dataset);
  const ts = dataset.interactions.timestamp;
  const isTest = new Uint8Array(dataset.interactions.length);

  if (protocol === 'personalize') {
    const fraction = options.testFraction ?? 0.1;
    const userFraction = options.userFraction ?? 0.1;
    const active: number[] = [];
    for (let u = 0; u < nUsers; u++) if (offsets[u + 1] > offsets[u]) active.push(u);
    rng.shuffle(active);
    const nHeld = active.length === 0 ? 0 : Math.max(1, Math.round(active.length * userFraction));
    for (let j = 0; j < nHeld; j++) {
      const u = active[j];
      const mine = rows.subarray(offsets[u], offsets[u + 1]);
      sortByTime(mine, ts);
      const k = heldOutCount(mine.length, fraction, true);
      for (let p = mine.length - k; p < mine.length; p++) isTest[mine[p]] = 1;
    }
  } else {
    const fraction = options.testFraction ?? 0.2;
    for (let u = 0; u < nUsers; u++) {
      const mine = rows.subarray(offsets[u], offsets[u + 1]);
      if (protocol === 'temporal') sortByTime(mine, ts);
      else rng.shuffle(mine);
      const k = heldOutCount(mine.length, fraction, false);
      for (let p = mine.length - k; p < mine.length; p++) isTest[mine[p]] = 1;
    }
  }
  return { rows, offsets, isTest };
}

/** Distinct test items per user, minus the items the user also has in training. */
function buildHeldOut(dataset: Dataset, rows: Int32Array, offsets: Int32Array, isTest: Uint8Array): HeldOut {
  const nUsers = dataset.users.size;
  const item = dataset.interactions.item;
  const outOffsets = new Int32Array(nUsers + 1);
  const out: number[] = [];
  // marks[i] === stamp means item i is in this user's training rows; stamps avoid clearing per user
  const marks = new Int32Array(dataset.items.size);
  const taken = new Int32Array(dataset.items.size);
  for (let u = 0; u < nUsers; u++) {
    const stamp = u + 1;
    for (let p = offsets[u]; p < offsets[u + 1]; p++) if (isTest[rows[p]] === 0) marks[item[rows[p]]] = stamp;
    const start = out.length;
    for (let p = offsets[u]; p < offsets[u + 1]; p++) {
      const r = rows[p];
      if (isTest[r] === 0) continue;
      const i = item[r];
      if (marks[i] === stamp || taken[i] === stamp) continue;
      taken[i] = stamp;
      out.push(i);
    }
    const mine = out.slice(start).sort((a, b) => a - b);
    for (let j = 0; j < mine.length; j++) out[start + j] = mine[j];
    outOffsets[u + 1] = out.length;
  }
  return { offsets: outOffsets, items: Int32Array.from(out) };
}

/** The held-out targets of one user (a view, no copy). */
export function targetsOf(test: HeldOut, user: number): Int32Array {
  return test.items.subarray(test.offsets[user], test.offsets[user + 1]);
}
