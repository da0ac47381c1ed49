/** A recommended item with its score (Personalize's itemList entry). */
export interface ScoredItem {
  readonly itemId: string;
  readonly score: number;
}

/** A user's precomputed list for one algorithm and version. */
export interface UserRecommendations {
  readonly userId: string;
  readonly items: readonly ScoredItem[];
}

/** A popularity list for one segment key (see shared/domain/popularity/segments.ts); "global" is the root. */
export interface SegmentList {
  readonly segment: string;
  readonly items: readonly ScoredItem[];
}

/** An entry of the NG (never show) list. */
export interface NgItem {
  readonly itemId: string;
  readonly reason?: string;
  readonly createdAt: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor for the next page; undefined on the last page. */
  readonly next?: string;
}

/** User attributes as in users.csv (column name → value), e.g. { GENDER: 'f', AGE_GROUP: '30s' }. */
export type UserAttributes = Readonly<Record<string, string>>;

/** The published version an algorithm serves from. */
export interface VersionPointer {
  readonly algorithm: string;
  readonly version: string;
  readonly updatedAt: number;
}

/** A named filter (PUT /filters/{name}): an expression in Personalize's filter syntax. */
export interface FilterRecord {
  readonly name: string;
  readonly expression: string;
  /** The Personalize filter with the same expression, which the personalize arm passes as filterArn. */
  readonly personalizeFilterArn?: string;
  /** Epoch ms of the last PUT; a new value is a new version (the request path compiles once per version). */
  readonly updatedAt: number;
}
