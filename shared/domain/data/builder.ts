import {
  type CategoricalColumn,
  type Dataset,
  IdIndex,
  type Interactions,
  type LoadStats,
} from './dataset.js';

/** Growable typed-array columns, so loading 1M+ rows never creates one object per row. */
class Column<T extends Int32Array | Float64Array | Uint16Array | Float32Array> {
  array: T;
  constructor(private readonly make: (n: number) => T) {
    this.array = make(1024);
  }
  set(i: number, v: number): void {
    if (i >= this.array.length) {
      const next = this.make(this.array.length * 2);
      next.set(this.array);
      this.array = next;
    }
    this.array[i] = v;
  }
  finish(n: number): T {
    return this.array.slice(0, n) as T;
  }
}

/** Builds one categorical column as CSR, entity by entity (entities may arrive in any order). */
class CategoricalBuilder {
  readonly dict = new IdIndex();
  private readonly perEntity = new Map<number, number[]>();
  constructor(readonly name: string) {}
  set(entity: number, raw: string): void {
    const vals: number[] = [];
    for (const part of raw.split('|')) {
      const v = part.trim();
      if (v !== '') vals.push(this.dict.intern(v));
    }
    this.perEntity.set(entity, vals);
  }
  finish(entities: number): CategoricalColumn {
    const offsets = new Int32Array(entities + 1);
    for (let e = 0; e < entities; e++) offsets[e + 1] = offsets[e] + (this.perEntity.get(e)?.length ?? 0);
    const values = new Int32Array(offsets[entities]);
    for (const [e, vals] of this.perEntity) values.set(vals, offsets[e]);
    return { name: this.name, dict: this.dict, offsets, values };
  }
}

/**
 * Accumulates interactions, users and items row by row and produces a Dataset. Used by the CSV loader,
 * the sample-data generator and tests.
 */
export class DatasetBuilder {
  readonly users = new IdIndex();
  readonly items = new IdIndex();
  readonly eventTypes = new IdIndex();
  private n = 0;
  private readonly user = new Column((k) => new Int32Array(k));
  private readonly item = new Column((k) => new Int32Array(k));
  private readonly ts = new Column((k) => new Float64Array(k));
  private readonly et = new Column((k) => new Uint16Array(k));
  private readonly ev = new Column((k) => new Float32Array(k));
  private readonly se = new Column((k) => new Int32Array(k));
  /** SESSION_IDs; stays empty (and the dataset has no session column) unless a row carries one. */
  readonly sessions = new IdIndex();
  private readonly userCols = new Map<string, CategoricalBuilder>();
  private readonly itemCols = new Map<string, CategoricalBuilder>();
  private readonly itemCreated = new Map<number, number>();

  constructor() {
    this.eventTypes.intern(''); // index 0 = no event type
  }

  /** Adds one interaction; eventType '' means none, eventValue NaN means none. */
  addInteraction(
    userId: string,
    itemId: string,
    timestamp: number,
    eventType = '',
    eventValue = Number.NaN,
    /** SESSION_ID; '' = none (allowed only while no row has one: a column is all or nothing). */
    sessionId = '',
  ): void {
    const i = this.n++;
    if (sessionId !== '') this.se.set(i, this.sessions.intern(sessionId));
    this.user.set(i, this.users.intern(userId));
    this.item.set(i, this.items.intern(itemId));
    this.ts.set(i, timestamp);
    this.et.set(i, this.eventTypes.intern(eventType));
    this.ev.set(i, eventValue);
  }

  /** Adds (or replaces) a user's categorical attributes; values may be `a|b` multi-valued. */
  addUser(userId: string, attributes: Readonly<Record<string, string>>): void {
    const u = this.users.intern(userId);
    for (const [name, value] of Object.entries(attributes)) {
      let col = this.userCols.get(name);
      if (!col) {
        col = new CategoricalBuilder(name);
        this.userCols.set(name, col);
      }
      col.set(u, value);
    }
  }

  /** Adds (or replaces) an item's categorical attributes and optional creation timestamp. */
  addItem(itemId: string, attributes: Readonly<Record<string, string>>, createdAt?: number): void {
    const it = this.items.intern(itemId);
    for (const [name, value] of Object.entries(attributes)) {
      let col = this.itemCols.get(name);
      if (!col) {
        col = new CategoricalBuilder(name);
        this.itemCols.set(name, col);
      }
      col.set(it, value);
    }
    if (createdAt !== undefined && Number.isFinite(createdAt)) this.itemCreated.set(it, createdAt);
  }

  get interactionCount(): number {
    return this.n;
  }

  /** Finishes the dataset; stats default to counts with no skipped rows. */
  build(stats?: LoadStats): Dataset {
    const n = this.n;
    const interactions: Interactions = {
      length: n,
      user: this.user.finish(n),
      item: this.item.finish(n),
      timestamp: this.ts.finish(n),
      eventType: this.et.finish(n),
      eventValue: this.ev.finish(n),
      ...(this.sessions.size > 0 ? { session: this.se.finish(n) } : {}),
    };
    let itemCreated: Float64Array | undefined;
    if (this.itemCreated.size > 0) {
      itemCreated = new Float64Array(this.items.size).fill(Number.NaN);
      for (const [i, t] of this.itemCreated) itemCreated[i] = t;
    }
    return {
      users: this.users,
      items: this.items,
      eventTypes: this.eventTypes,
      ...(this.sessions.size > 0 ? { sessions: this.sessions } : {}),
      interactions,
      userAttributes: [...this.userCols.values()].map((c) => c.finish(this.users.size)),
      itemAttributes: [...this.itemCols.values()].map((c) => c.finish(this.items.size)),
      itemCreated,
      stats: stats ?? { interactions: { file: 'interactions', rows: n, skipped: 0, errors: [] } },
    };
  }
}

/**
 * Returns a copy of `dataset` that keeps only the interaction rows where `keep(row)` is true, with the
 * same id indices and attributes (how evaluation builds a training split).
 */
export function filterInteractions(dataset: Dataset, keep: (row: number) => boolean): Dataset {
  const src = dataset.interactions;
  const rows: number[] = [];
  for (let r = 0; r < src.length; r++) if (keep(r)) rows.push(r);
  const pick = <T extends Int32Array | Float64Array | Uint16Array | Float32Array>(
    a: T,
    make: (n: number) => T,
  ): T => {
    const out = make(rows.length);
    for (let j = 0; j < rows.length; j++) out[j] = a[rows[j]];
    return out;
  };
  return {
    ...dataset,
    interactions: {
      length: rows.length,
      user: pick(src.user, (k) => new Int32Array(k)),
      item: pick(src.item, (k) => new Int32Array(k)),
      timestamp: pick(src.timestamp, (k) => new Float64Array(k)),
      eventType: pick(src.eventType, (k) => new Uint16Array(k)),
      eventValue: pick(src.eventValue, (k) => new Float32Array(k)),
      ...(src.session ? { session: pick(src.session, (k) => new Int32Array(k)) } : {}),
    },
  };
}
