import type { RecommendOptions, Recommender, TopN } from '../algorithms/recommender.js';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';

/**
 * Batch inference in the Amazon Personalize batch-inference JSON Lines format. Input: one
 * `{"userId": "..."}` per line. Output: one line per non-blank input line,
 * `{"input": {...}, "output": {"recommendedItems": [...], "scores": [...]}, "error": null}`, or, for a bad
 * line, `{"input": <parsed or raw>, "output": null, "error": "line N: ..."}` (the other lines are still
 * answered).
 */

/** Longest userId accepted (Amazon Personalize's limit). */
export const MAX_USER_ID_LENGTH = 256;
/** Personalize caps numResults at 500. */
export const MAX_NUM_RESULTS = 500;

export interface BatchRecommendOptions {
  /** The dataset the models were trained on (maps ids to indices). */
  readonly dataset: Dataset;
  readonly recommender: Recommender;
  /**
   * Global popularity: answers unknown users and tops up lists shorter than numResults. Filled items get
   * score 0 for known users (the algorithm did not score them) and their popularity score for unknown users.
   */
  readonly fallback: Recommender;
  /** Items per user (default 25, at most 500). */
  readonly numResults?: number;
}

export interface BatchOutputLine {
  readonly input: unknown;
  readonly output: { readonly recommendedItems: string[]; readonly scores: number[] } | null;
  readonly error: string | null;
}

/** Counts of one batch run. */
export interface BatchStats {
  lines: number;
  answered: number;
  errors: number;
  unknownUsers: number;
  filled: number;
}

/** Validates numResults (integer 1..500). */
export function resolveNumResults(n: number | undefined): number {
  const v = n ?? 25;
  if (!Number.isInteger(v) || v < 1 || v > MAX_NUM_RESULTS) {
    throw new ValidationError(
      `numResults must be an integer from 1 to ${MAX_NUM_RESULTS}, got ${n}`,
      'numResults',
    );
  }
  return v;
}

/** Scores are float32 internally; 6 decimals keep the output short and stable. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Answers every input line (async iterable or iterable of lines without their newline), yielding one output
 * JSON line (no trailing newline) per non-blank input line, in input order. Blank lines are skipped but still
 * counted for line numbers. `stats` (optional) is updated as lines are processed.
 */
export async function* batchRecommend(
  lines: AsyncIterable<string> | Iterable<string>,
  options: BatchRecommendOptions,
  stats: BatchStats = { lines: 0, answered: 0, errors: 0, unknownUsers: 0, filled: 0 },
): AsyncGenerator<string> {
  const n = resolveNumResults(options.numResults);
  const { dataset, recommender, fallback } = options;
  const ids = dataset.items.ids;
  // asked for on the first unknown user only: a lazy fallback then never trains when no line needs it
  let globalList: TopN | undefined;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    stats.lines++;
    const parsed = parseLine(line, lineNo);
    if ('error' in parsed) {
      stats.errors++;
      yield JSON.stringify({
        input: parsed.input,
        output: null,
        error: parsed.error,
      } satisfies BatchOutputLine);
      continue;
    }
    const u = dataset.users.get(parsed.userId);
    const items: string[] = [];
    const scores: number[] = [];
    if (u < 0) {
      stats.unknownUsers++;
      globalList ??= fallback.recommend(-1, n, { includeSeen: true });
      for (let j = 0; j < globalList.items.length; j++) {
        items.push(ids[globalList.items[j]]);
        scores.push(round(globalList.scores[j]));
      }
    } else {
      const top = recommender.recommend(u, n);
      const taken = new Set<number>();
      for (let j = 0; j < top.items.length && j < n; j++) {
        taken.add(top.items[j]);
        items.push(ids[top.items[j]]);
        scores.push(round(top.scores[j]));
      }
      if (items.length < n) {
        stats.filled++;
        // the fallback excludes the user's seen items; ask for enough to survive the overlap with `top`
        const more = fallback.recommend(u, n + taken.size);
        for (let j = 0; j < more.items.length && items.length < n; j++) {
          if (taken.has(more.items[j])) continue;
          taken.add(more.items[j]);
          items.push(ids[more.items[j]]);
          scores.push(0);
        }
      }
    }
    stats.answered++;
    yield JSON.stringify({
      input: parsed.input,
      output: { recommendedItems: items, scores },
      error: null,
    } satisfies BatchOutputLine);
  }
}

/**
 * A recommender trained on its first use: the batch fallback (popularity) is only needed for unknown users
 * and short lists, which a CF or FM run over known users may never have.
 */
export class LazyRecommender implements Recommender {
  private model: Recommender | undefined;
  constructor(
    readonly name: string,
    private readonly train: () => Recommender,
  ) {}

  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    this.model ??= this.train();
    return this.model.recommend(user, n, options);
  }
}

/** Parses and validates one input line. */
function parseLine(
  line: string,
  lineNo: number,
): { input: unknown; userId: string } | { input: unknown; error: string } {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { input: line, error: `line ${lineNo}: invalid JSON` };
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { input, error: `line ${lineNo}: expected a JSON object like {"userId": "..."}` };
  }
  const userId = (input as Record<string, unknown>).userId;
  if (userId === undefined || userId === null) return { input, error: `line ${lineNo}: missing userId` };
  if (typeof userId !== 'string') return { input, error: `line ${lineNo}: userId must be a string` };
  if (userId.trim() === '') return { input, error: `line ${lineNo}: userId is empty` };
  if (userId.length > MAX_USER_ID_LENGTH) {
    return { input, error: `line ${lineNo}: userId is longer than ${MAX_USER_ID_LENGTH} characters` };
  }
  return { input, userId };
}
