/**
 * The syntax tree of a filter expression in Amazon Personalize's filter syntax, e.g.
 * `INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")`.
 * Positions are 0-based character offsets into the expression, for error messages.
 */

/** The datasets a condition can read: item attributes, or the user's own interactions. */
export type FilterDataset = 'Items' | 'Interactions';

/** A literal list (`"a", "b"`, `10`) or a placeholder (`$CATEGORY`) bound per request by filterValues. */
export type FilterOperand =
  | { readonly kind: 'literals'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'placeholder'; readonly name: string; readonly pos: number };

export type ComparisonOp = '<' | '>' | '<=' | '>=' | '=';

export type FilterCondition =
  | {
      readonly kind: 'in';
      readonly dataset: FilterDataset;
      readonly attribute: string;
      readonly negated: boolean;
      readonly operand: FilterOperand;
      readonly pos: number;
    }
  | {
      readonly kind: 'compare';
      readonly dataset: 'Items';
      readonly attribute: string;
      readonly op: ComparisonOp;
      readonly operand: FilterOperand;
      readonly pos: number;
    }
  | { readonly kind: 'and'; readonly left: FilterCondition; readonly right: FilterCondition }
  | { readonly kind: 'or'; readonly left: FilterCondition; readonly right: FilterCondition };

/** One `INCLUDE|EXCLUDE ItemID WHERE ...` expression. */
export interface FilterExpression {
  readonly action: 'INCLUDE' | 'EXCLUDE';
  readonly condition: FilterCondition;
  readonly pos: number;
}

/** A parsed filter: its `|`-separated expressions and the placeholders they use (in first-use order). */
export interface FilterAst {
  readonly expressions: readonly FilterExpression[];
  readonly placeholders: readonly string[];
}
