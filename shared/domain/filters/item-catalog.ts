/**
 * Item attributes as the request path needs them for filters: every catalogue item's values per column,
 * dictionary-encoded in a CSR layout (the values of item i in column c are
 * `values[offsets[i] .. offsets[i+1])`, each an index into `dict`), keyed by the upper-cased column name.
 */
export interface ItemCatalogColumn {
  readonly name: string;
  readonly dict: readonly string[];
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

export interface ItemCatalog {
  readonly ids: readonly string[];
  /** itemId → index into `ids` and the columns. */
  readonly index: ReadonlyMap<string, number>;
  readonly columns: ReadonlyMap<string, ItemCatalogColumn>;
}

/**
 * One stored page of the catalogue: item ids and, per column, each item's raw value (`a|b` for several),
 * as `[column, values]` pairs so that no column name is ever an object key.
 */
export interface ItemCatalogPage {
  readonly ids: string[];
  readonly columns: [string, string[]][];
}

/** Builds the in-memory catalogue from its stored pages (in page order). */
export function catalogFromPages(pages: readonly ItemCatalogPage[]): ItemCatalog {
  const ids: string[] = [];
  const names = new Set<string>();
  for (const p of pages) {
    for (const id of p.ids) ids.push(id);
    for (const [name] of p.columns) names.add(name);
  }
  const index = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) index.set(ids[i], i);
  const columns = new Map<string, ItemCatalogColumn>();
  for (const name of names) {
    const dict: string[] = [];
    const codes = new Map<string, number>();
    const offsets = new Int32Array(ids.length + 1);
    const values: number[] = [];
    let i = 0;
    for (const p of pages) {
      const raw = p.columns.find(([n]) => n === name)?.[1] ?? [];
      for (let k = 0; k < p.ids.length; k++, i++) {
        offsets[i] = values.length;
        for (const part of (raw[k] ?? '').split('|')) {
          const v = part.trim();
          if (v === '') continue;
          let code = codes.get(v);
          if (code === undefined) {
            code = dict.length;
            dict.push(v);
            codes.set(v, code);
          }
          values.push(code);
        }
      }
    }
    offsets[ids.length] = values.length;
    const upper = name.toUpperCase();
    columns.set(upper, { name, dict, offsets, values: Int32Array.from(values) });
  }
  return { ids, index, columns };
}

/** A dataset's item attribute columns as the parts `catalogPages` needs. */
export interface CatalogSource {
  readonly ids: readonly string[];
  readonly columns: readonly {
    readonly name: string;
    readonly dict: { readonly ids: readonly string[] };
    readonly offsets: Int32Array;
    readonly values: Int32Array;
  }[];
}

/** Splits a dataset's items into pages whose JSON stays under `maxBytes` of UTF-8 (a DynamoDB item holds 400 KB). */
export function catalogPages(source: CatalogSource, maxBytes = 300_000): ItemCatalogPage[] {
  const pages: ItemCatalogPage[] = [];
  let page: ItemCatalogPage | undefined;
  let size = 0;
  for (let i = 0; i < source.ids.length; i++) {
    const raw = source.columns.map((c) => {
      const parts: string[] = [];
      for (let k = c.offsets[i]; k < c.offsets[i + 1]; k++) parts.push(c.dict.ids[c.values[k]]);
      return parts.join('|');
    });
    let cost = utf8Bytes(source.ids[i]) + 8;
    for (const v of raw) cost += utf8Bytes(v) + 4;
    if (!page || size + cost > maxBytes) {
      page = { ids: [], columns: source.columns.map((c) => [c.name, []] as [string, string[]]) };
      pages.push(page);
      size = 0;
    }
    page.ids.push(source.ids[i]);
    for (let c = 0; c < raw.length; c++) page.columns[c][1].push(raw[c]);
    size += cost;
  }
  return pages;
}

/** UTF-8 length of a string, counted generously for JSON escapes (non-ASCII and control characters). */
function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c < 0x20 || c === 0x22 || c === 0x5c) n += c >= 0x800 ? 2 : c >= 0x80 ? 1 : 5;
  }
  return n;
}
