import type { FilterAst } from '../domain/filters/ast.js';
import { type BoundFilter, bindFilter } from '../domain/filters/compile.js';
import { catalogFromPages, type ItemCatalog } from '../domain/filters/item-catalog.js';
import { parseFilterExpression } from '../domain/filters/parser.js';
import { LruCache, TtlCache } from '../domain/cache.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { FilterStore, ItemCatalogStore, PipelineStateStore } from '../ports/stores.js';
import type { FilterRecord } from '../ports/types.js';
import { DATASET_COLUMNS_KEY, type DatasetColumns } from './catalog.js';

/** Personalize's rule for filter (and promotion) names: 1-63 letters, digits, `-` or `_`, not starting with `-`/`_`. */
export const FILTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
const FILTER_ARN = /^arn:[a-z\d-]+:personalize:[^:]*:[^:]*:filter\/.+$/;

/** Validates a filter or promotion name (a path parameter or a query value); throws naming `parameter`. */
export function parseFilterName(value: string | undefined, parameter = 'name'): string {
  if (value === undefined || value === '') throw new ValidationError(`${parameter} is required`, parameter);
  if (!FILTER_NAME.test(value))
    throw new ValidationError(
      `${parameter} '${value.slice(0, 70)}' must be 1-63 letters, digits, '-' or '_', starting with a letter or digit`,
      parameter,
    );
  return value;
}

/** The body of PUT /filters/{name}: `{"expression": "...", "personalizeFilterArn"?: "arn:aws:personalize:..."}`. */
export function parseFilterBody(body: string | undefined): {
  expression: string;
  personalizeFilterArn?: string;
} {
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? '');
  } catch {
    throw new ValidationError('body must be JSON like {"expression": "INCLUDE ItemID WHERE ..."}', 'body');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ValidationError('body must be a JSON object', 'body');
  const fields = new Map(Object.entries(raw));
  for (const key of fields.keys())
    if (key !== 'expression' && key !== 'personalizeFilterArn')
      throw new ValidationError(
        `unknown field '${key.slice(0, 60)}'; allowed: expression, personalizeFilterArn`,
        key.slice(0, 60),
      );
  const expression = fields.get('expression');
  if (typeof expression !== 'string') throw new ValidationError('expression must be a string', 'expression');
  const arn = fields.get('personalizeFilterArn');
  if (arn !== undefined && (typeof arn !== 'string' || arn.length > 256 || !FILTER_ARN.test(arn)))
    throw new ValidationError(
      'personalizeFilterArn must be a Personalize filter ARN (arn:aws:personalize:<region>:<account>:filter/<name>)',
      'personalizeFilterArn',
    );
  return { expression, ...(arn !== undefined ? { personalizeFilterArn: arn as string } : {}) };
}

export interface FilterAdminDeps {
  readonly filterStore: FilterStore;
  readonly filters: Pick<FilterRegistry, 'changed'>;
  /** Where the latest run's item columns are read, to reject an attribute the catalogue lacks. */
  readonly state: Pick<PipelineStateStore, 'getRecord'>;
}

/** A stored filter as the admin routes show it, with the placeholders a request must (or may) bind. */
export interface FilterView extends FilterRecord {
  readonly placeholders: readonly string[];
}

const view = (record: FilterRecord, ast: FilterAst): FilterView => ({
  ...record,
  placeholders: ast.placeholders,
});

/**
 * PUT /filters/{name}: parses the expression (a 400 naming position and token when it is malformed),
 * checks that every `Items.<ATTR>` is a column of the latest run's items (when a run has recorded
 * them), then stores it. This process uses the new version at once, others within the cache TTL.
 */
export async function putFilter(
  deps: FilterAdminDeps,
  rawName: string | undefined,
  body: string | undefined,
  now = Date.now(),
): Promise<FilterView> {
  const name = parseFilterName(rawName);
  const { expression, personalizeFilterArn } = parseFilterBody(body);
  const ast = parseFilterExpression(expression);
  const columns = (await deps.state.getRecord<DatasetColumns>(DATASET_COLUMNS_KEY))?.items;
  if (columns) {
    const known = new Set(columns.map((c) => c.toUpperCase()));
    for (const attribute of itemAttributes(ast))
      if (!known.has(attribute))
        throw new ValidationError(
          `filter expression: Items.${attribute} is not an item column (items have ${columns.join(', ') || 'none'})`,
          'expression',
        );
  }
  const record: FilterRecord = {
    name,
    expression,
    updatedAt: now,
    ...(personalizeFilterArn ? { personalizeFilterArn } : {}),
  };
  await deps.filterStore.put(record);
  deps.filters.changed(name);
  return view(record, ast);
}

/** GET /filters: every stored filter with its placeholders. */
export async function listFilters(deps: Pick<FilterAdminDeps, 'filterStore'>): Promise<FilterView[]> {
  return (await deps.filterStore.list()).map((r) => view(r, parseFilterExpression(r.expression)));
}

/** DELETE /filters/{name}; NotFoundError when there is none. */
export async function deleteFilter(deps: FilterAdminDeps, rawName: string | undefined): Promise<void> {
  const name = parseFilterName(rawName);
  const existed = await deps.filterStore.delete(name);
  deps.filters.changed(name);
  if (!existed) throw new NotFoundError(`filter '${name}' does not exist`);
}

function itemAttributes(ast: FilterAst): Set<string> {
  const out = new Set<string>();
  const walk = (c: FilterAst['expressions'][number]['condition']): void => {
    if (c.kind === 'and' || c.kind === 'or') {
      walk(c.left);
      walk(c.right);
    } else if (c.dataset === 'Items') out.add(c.attribute);
  };
  for (const e of ast.expressions) walk(e.condition);
  return out;
}

/** A stored filter and its parsed expression. */
export interface ResolvedFilter {
  readonly record: FilterRecord;
  readonly ast: FilterAst;
}

/**
 * Filters on the request path: records in a TTL cache (like the NG list; the process that accepted a
 * PUT or DELETE sees it at once), each version parsed once, and bound filters (a bitmap over the
 * catalogue per filterValues) cached per filter version, catalogue version and values.
 */
export class FilterRegistry {
  private readonly records: TtlCache<string, FilterRecord | null>;
  private readonly parsed = new LruCache<string, FilterAst>(1000);
  private readonly bound = new LruCache<string, BoundFilter>(2000);

  constructor(
    private readonly store: Pick<FilterStore, 'get'>,
    ttlMs: number,
    now?: () => number,
  ) {
    this.records = new TtlCache(ttlMs, now);
  }

  /** The named filter; a ValidationError naming `parameter` when there is none. */
  async resolve(
    name: string,
    parameter = 'filter',
    deadlineMs = Number.POSITIVE_INFINITY,
  ): Promise<ResolvedFilter> {
    const { value } = await this.records.read(
      name,
      async () => (await this.store.get(name)) ?? null,
      deadlineMs,
      'filters',
    );
    if (!value)
      throw new ValidationError(`unknown filter '${name}'; create it with PUT /filters/${name}`, parameter);
    const key = `${value.updatedAt}#${name}`;
    let ast = this.parsed.get(key);
    if (!ast) {
      ast = parseFilterExpression(value.expression);
      this.parsed.set(key, ast);
    }
    return { record: value, ast };
  }

  /** The filter bound to a catalogue version and a request's values (cached; binding walks the catalogue once). */
  bind(
    filter: ResolvedFilter,
    catalogVersion: string,
    catalog: ItemCatalog,
    values: ReadonlyMap<string, readonly (string | number)[]>,
  ): BoundFilter {
    const key = `${filter.record.updatedAt}\n${catalogVersion}\n${filter.record.name}\n${JSON.stringify([...values])}`;
    let bound = this.bound.get(key);
    if (!bound) {
      bound = bindFilter(filter.ast, catalog, values, filter.record.name);
      this.bound.set(key, bound);
    }
    return bound;
  }

  /** A filter was just written or deleted in this process: read it again. */
  changed(name: string): void {
    this.records.invalidate(name);
  }
}

const EMPTY_CATALOG: ItemCatalog = { ids: [], index: new Map(), columns: new Map() };

/** Item catalogues of popularity versions, each read once per process (a published version never changes). */
export class ItemCatalogs {
  private readonly cache = new LruCache<string, ItemCatalog>(2);
  constructor(private readonly store: ItemCatalogStore) {}

  /** The catalogue of `version` (empty when the version has none: item conditions then match nothing). */
  catalog(version: string, pages: number | undefined): Promise<ItemCatalog> {
    if (!pages) return Promise.resolve(EMPTY_CATALOG);
    return this.cache.getOrLoad(version, async () =>
      catalogFromPages(await this.store.getCatalog(version, pages)),
    );
  }
}
