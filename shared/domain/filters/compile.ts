import { ValidationError } from '../errors.js';
import type { FilterAst, FilterCondition, FilterExpression, FilterOperand } from './ast.js';
import type { ItemCatalog, ItemCatalogColumn } from './item-catalog.js';
import { tokenize } from './parser.js';

/** What the user did to each item (lower-cased event types), for `Interactions.EVENT_TYPE` conditions. */
export type UserInteractions = ReadonlyMap<string, ReadonlySet<string>>;

/** Personalize's limits on filterValues: 25 placeholders, names up to 50 characters, values up to 1,000. */
export const MAX_FILTER_VALUES = 25;
const PLACEHOLDER_NAME = /^[A-Za-z0-9_]{1,50}$/;
const MAX_FILTER_VALUE_LENGTH = 1000;

/**
 * A filter bound to a catalogue and one request's filterValues: decides per item whether it may be shown.
 * Item-attribute conditions are evaluated once per catalogue item when binding (a bitmap per condition),
 * so a check costs one Map lookup plus a walk of the condition tree.
 */
export interface BoundFilter {
  /** Whether the item passes for a user with these interactions. */
  passes(itemId: string, interactions: UserInteractions): boolean;
  /** Whether any condition reads the user's interactions (the request then loads them). */
  readonly readsInteractions: boolean;
  /**
   * Item-attribute lists that hold every item an INCLUDE could let through (`[column, value]` pairs), so
   * the fill can start from the per-attribute popularity lists; undefined when no such lists bound it.
   */
  readonly includeLists?: readonly (readonly [string, string])[];
}

/**
 * Reads a request's `filterValues` (a JSON object: placeholder name → Personalize's value string, e.g.
 * `{"CATEGORY": "\"shoes\",\"bags\""}`), checking Personalize's limits; throws a ValidationError naming
 * `parameter`. The strings are what the Personalize arm forwards.
 */
export function filterValueStrings(
  json: string | undefined,
  parameter = 'filterValues',
): Map<string, string> {
  const out = new Map<string, string>();
  if (json === undefined || json === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ValidationError(
      `${parameter} must be a JSON object like {"CATEGORY": "\\"shoes\\""}`,
      parameter,
    );
  }
  return filterValueObject(raw, parameter);
}

/** {@link filterValueStrings} for an already parsed JSON value. */
export function filterValueObject(raw: unknown, parameter = 'filterValues'): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ValidationError(`${parameter} must be a JSON object`, parameter);
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_FILTER_VALUES)
    throw new ValidationError(`${parameter} holds at most ${MAX_FILTER_VALUES} placeholders`, parameter);
  for (const [name, value] of entries) {
    if (!PLACEHOLDER_NAME.test(name))
      throw new ValidationError(
        `${parameter}: placeholder name '${name.slice(0, 60)}' must be 1-50 letters, digits or _`,
        parameter,
      );
    if (typeof value !== 'string' || value.length > MAX_FILTER_VALUE_LENGTH)
      throw new ValidationError(
        `${parameter}.${name} must be a string of at most ${MAX_FILTER_VALUE_LENGTH} characters like "\\"a\\",\\"b\\""`,
        parameter,
      );
    out.set(name, value);
  }
  return out;
}

/** Each placeholder's values from Personalize's value strings (`"a","b"` or `10`); throws naming the placeholder. */
export function parseValueStrings(
  strings: ReadonlyMap<string, string>,
  parameter = 'filterValues',
): Map<string, (string | number)[]> {
  const out = new Map<string, (string | number)[]>();
  for (const [name, value] of strings)
    out.set(name, parseValueList(value, `${parameter}.${name}`, parameter));
  return out;
}

/** {@link filterValueStrings} then {@link parseValueStrings}. */
export function parseFilterValues(
  json: string | undefined,
  parameter = 'filterValues',
): Map<string, (string | number)[]> {
  return parseValueStrings(filterValueStrings(json, parameter), parameter);
}

/** `"a","b"` or `10`: Personalize's value string of one placeholder. */
function parseValueList(text: string, where: string, parameter: string): (string | number)[] {
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = tokenize(text);
  } catch (err) {
    throw new ValidationError(
      `${where}: ${(err as Error).message.replace(/^filter expression: /, '')}`,
      parameter,
    );
  }
  const values: (string | number)[] = [];
  for (let k = 0; k < tokens.length - 1; k++) {
    const t = tokens[k];
    if (k % 2 === 1) {
      if (t.value !== ',' || t.kind !== 'symbol')
        throw new ValidationError(
          `${where}: expected ',' at position ${t.pos}, found '${t.text}'`,
          parameter,
        );
      continue;
    }
    if (t.kind === 'string') values.push(t.value);
    else if (t.kind === 'number') values.push(Number(t.value));
    else
      throw new ValidationError(
        `${where}: expected a quoted value at position ${t.pos}, found '${t.text}' (write "\\"a\\",\\"b\\"")`,
        parameter,
      );
  }
  if (values.length === 0 || tokens.length % 2 === 1)
    throw new ValidationError(`${where}: expected a quoted value like "\\"a\\""`, parameter);
  return values;
}

type Check = (index: number, itemId: string, interactions: UserInteractions) => boolean;

/** A dictionary entry's numeric value, NaN when it is not a number. */
const numeric = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));

/** Per-item bitmap of a condition on one item column, from a per-dictionary-entry test. */
function columnBits(
  catalog: ItemCatalog,
  column: ItemCatalogColumn | undefined,
  test: (v: string) => boolean,
) {
  const bits = new Uint8Array(catalog.ids.length);
  if (!column) return bits;
  const dictHit = new Uint8Array(column.dict.length);
  column.dict.forEach((v, k) => {
    dictHit[k] = test(v) ? 1 : 0;
  });
  for (let i = 0; i < bits.length; i++) {
    for (let k = column.offsets[i]; k < column.offsets[i + 1]; k++) {
      if (dictHit[column.values[k]]) {
        bits[i] = 1;
        break;
      }
    }
  }
  return bits;
}

/**
 * Binds a parsed filter to the catalogue and a request's values. As in Personalize, an INCLUDE expression
 * needs every placeholder it uses (else a ValidationError naming it), an EXCLUDE expression with a missing
 * placeholder is left out, and a value for a placeholder the filter does not use is an error. The result:
 * items matching any INCLUDE (all items when there is none) minus items matching any EXCLUDE.
 */
export function bindFilter(
  ast: FilterAst,
  catalog: ItemCatalog,
  values: ReadonlyMap<string, readonly (string | number)[]>,
  filterName = 'filter',
): BoundFilter {
  for (const name of values.keys())
    if (!ast.placeholders.includes(name))
      throw new ValidationError(
        `filterValues: '${name}' is not a placeholder of filter '${filterName}' (it uses ${ast.placeholders.map((p) => `$${p}`).join(', ') || 'none'})`,
        'filterValues',
      );
  let readsInteractions = false;
  const valuesOf = (operand: FilterOperand): readonly (string | number)[] | undefined =>
    operand.kind === 'literals' ? operand.values : values.get(operand.name);

  const compile = (c: FilterCondition): Check => {
    if (c.kind === 'and' || c.kind === 'or') {
      const l = compile(c.left);
      const r = compile(c.right);
      return c.kind === 'and'
        ? (i, id, x) => l(i, id, x) && r(i, id, x)
        : (i, id, x) => l(i, id, x) || r(i, id, x);
    }
    const list = valuesOf(c.operand)!;
    if (c.dataset === 'Interactions') {
      readsInteractions = true;
      const types = new Set(list.map((v) => String(v).toLowerCase()));
      const negated = c.kind === 'in' && c.negated;
      return (_i, id, x) => {
        const done = x.get(id);
        let hit = false;
        if (done) for (const t of done) if (types.has(t)) hit = true;
        return hit !== negated;
      };
    }
    const column = catalog.columns.get(c.attribute);
    let bits: Uint8Array;
    let unknownItem = false;
    if (c.kind === 'in') {
      const strings = new Set(list.map(String));
      const numbers = new Set(list.filter((v): v is number => typeof v === 'number'));
      bits = columnBits(
        catalog,
        column,
        (v) => strings.has(v) || (numbers.size > 0 && numbers.has(numeric(v))),
      );
      if (c.negated) {
        for (let i = 0; i < bits.length; i++) bits[i] ^= 1;
        unknownItem = true;
      }
    } else {
      const bound = Number(list[0]);
      if (list.length !== 1 || !Number.isFinite(bound))
        throw new ValidationError(
          `filterValues: '${c.operand.kind === 'placeholder' ? c.operand.name : c.attribute}' must be one number for '${c.op}' in filter '${filterName}'`,
          'filterValues',
        );
      const op = c.op;
      bits = columnBits(catalog, column, (v) => {
        const n = numeric(v);
        if (Number.isNaN(n)) return false;
        return op === '<'
          ? n < bound
          : op === '>'
            ? n > bound
            : op === '<='
              ? n <= bound
              : op === '>='
                ? n >= bound
                : n === bound;
      });
    }
    return (i) => (i < 0 ? unknownItem : bits[i] === 1);
  };

  const missing = (e: FilterExpression): string | undefined => {
    const walk = (c: FilterCondition): string | undefined =>
      c.kind === 'and' || c.kind === 'or'
        ? (walk(c.left) ?? walk(c.right))
        : c.operand.kind === 'placeholder' && !values.has(c.operand.name)
          ? c.operand.name
          : undefined;
    return walk(e.condition);
  };
  const includes: Check[] = [];
  const excludes: Check[] = [];
  const hints: [string, string][] = [];
  let hinted = true;
  for (const e of ast.expressions) {
    const absent = missing(e);
    if (absent !== undefined) {
      if (e.action === 'EXCLUDE') continue; // as Personalize: that part of the filter is not used
      throw new ValidationError(
        `filterValues: missing a value for $${absent} of filter '${filterName}'`,
        'filterValues',
      );
    }
    const check = compile(e.condition);
    if (e.action === 'INCLUDE') {
      includes.push(check);
      const hint = includeHint(e.condition, valuesOf, catalog);
      if (hint) hints.push(...hint);
      else hinted = false;
    } else excludes.push(check);
  }
  const evaluate: Check = (i, id, x) => {
    if (includes.length > 0 && !includes.some((f) => f(i, id, x))) return false;
    return !excludes.some((f) => f(i, id, x));
  };
  const includeLists = includes.length > 0 && hinted ? hints : undefined;
  if (!readsInteractions) {
    // item attributes only: one bitmap for the whole filter
    const bits = new Uint8Array(catalog.ids.length);
    const none: UserInteractions = new Map();
    catalog.ids.forEach((id, i) => {
      bits[i] = evaluate(i, id, none) ? 1 : 0;
    });
    const unknownPasses = evaluate(-1, '', none);
    return {
      readsInteractions,
      includeLists,
      passes: (itemId) => {
        const i = catalog.index.get(itemId);
        return i === undefined ? unknownPasses : bits[i] === 1;
      },
    };
  }
  return {
    readsInteractions,
    includeLists,
    passes: (itemId, interactions) => evaluate(catalog.index.get(itemId) ?? -1, itemId, interactions),
  };
}

/** The `[column, value]` lists an INCLUDE condition is confined to (an `Items.X IN (...)` it requires). */
function includeHint(
  c: FilterCondition,
  valuesOf: (o: FilterOperand) => readonly (string | number)[] | undefined,
  catalog: ItemCatalog,
): [string, string][] | undefined {
  if (c.kind === 'and')
    return includeHint(c.left, valuesOf, catalog) ?? includeHint(c.right, valuesOf, catalog);
  if (c.kind === 'or') {
    const l = includeHint(c.left, valuesOf, catalog);
    const r = includeHint(c.right, valuesOf, catalog);
    return l && r ? [...l, ...r] : undefined;
  }
  if (c.kind !== 'in' || c.negated || c.dataset !== 'Items') return undefined;
  const column = catalog.columns.get(c.attribute);
  if (!column) return [];
  return (valuesOf(c.operand) ?? []).map((v) => [column.name, String(v)] as [string, string]);
}

/** Whether any condition of the filter reads the user's interactions (the request then loads their events). */
export function usesInteractions(ast: FilterAst): boolean {
  const walk = (c: FilterCondition): boolean =>
    c.kind === 'and' || c.kind === 'or' ? walk(c.left) || walk(c.right) : c.dataset === 'Interactions';
  return ast.expressions.some((e) => walk(e.condition));
}
