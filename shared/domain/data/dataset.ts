/**
 * In-memory dataset in the 3-CSV contract of Amazon Personalize, with every id interned into a dense
 * integer index so that algorithms work on typed arrays (CSR layouts), never on Maps of strings.
 */

/** Interns string ids into dense indices 0..size-1 (insertion order). */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly map = new Map<string, number>();

  /** Returns the index of `id`, adding it if new. */
  intern(id: string): number {
    let i = this.map.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.map.set(id, i);
    }
    return i;
  }

  /** Index of `id`, or -1 when unknown. */
  get(id: string): number {
    return this.map.get(id) ?? -1;
  }

  get size(): number {
    return this.ids.length;
  }
}

/**
 * A categorical attribute column (users.csv or items.csv) stored as CSR over the entity index:
 * the values of entity e are `values[offsets[e] .. offsets[e+1])`, each an index into `dict`.
 * Multi-valued fields (`Action|Comedy`) simply have several values.
 */
export interface CategoricalColumn {
  readonly name: string;
  readonly dict: IdIndex;
  readonly offsets: Int32Array;
  readonly values: Int32Array;
}

/** Column-oriented interactions; row r is (user[r], item[r], timestamp[r], eventType[r], eventValue[r]). */
export interface Interactions {
  readonly length: number;
  readonly user: Int32Array;
  readonly item: Int32Array;
  /** Unix seconds. */
  readonly timestamp: Float64Array;
  /** Index into Dataset.eventTypes; 0 is the empty event type when the column is absent. */
  readonly eventType: Uint16Array;
  /** EVENT_VALUE, NaN when absent. */
  readonly eventValue: Float32Array;
  /** SESSION_ID as an index into Dataset.sessions, present only when interactions.csv has the column. */
  readonly session?: Int32Array;
}

/** Everything loaded from one dataset folder. */
export interface Dataset {
  readonly users: IdIndex;
  readonly items: IdIndex;
  readonly eventTypes: IdIndex;
  /** SESSION_IDs of interactions.csv (present only with that optional column). */
  readonly sessions?: IdIndex;
  readonly interactions: Interactions;
  /** Categorical columns of users.csv (excluding USER_ID), aligned with `users`. */
  readonly userAttributes: CategoricalColumn[];
  /** Categorical columns of items.csv (excluding ITEM_ID and CREATION_TIMESTAMP), aligned with `items`. */
  readonly itemAttributes: CategoricalColumn[];
  /** CREATION_TIMESTAMP per item when items.csv has it (NaN for missing). */
  readonly itemCreated?: Float64Array;
  /** Load statistics: rows read, skipped bad rows per file. */
  readonly stats: LoadStats;
}

export interface FileStats {
  readonly file: string;
  readonly rows: number;
  readonly skipped: number;
  /** The first few skipped rows' errors, "file:line: message". */
  readonly errors: string[];
}

export interface LoadStats {
  readonly interactions: FileStats;
  /** Events merged from the API's export (the snapshot's events-*.csv parts), summed over the parts. */
  readonly events?: FileStats;
  readonly users?: FileStats;
  readonly items?: FileStats;
}

/** Returns the (first) value of a categorical column for an entity, or undefined. */
export function firstValue(col: CategoricalColumn, entity: number): string | undefined {
  if (entity < 0 || entity + 1 >= col.offsets.length) return undefined;
  const start = col.offsets[entity];
  if (start === col.offsets[entity + 1]) return undefined;
  return col.dict.ids[col.values[start]];
}

/**
 * Builds a user × item CSR matrix from interactions (duplicates summed with `weight(row)`).
 * Rows sorted by item index; used by CF, FM sampling and evaluation.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}
