import { ValidationError } from '../errors.js';
import type {
  ComparisonOp,
  FilterAst,
  FilterCondition,
  FilterDataset,
  FilterExpression,
  FilterOperand,
} from './ast.js';

/**
 * A recursive-descent parser for Amazon Personalize's filter expressions (one function per rule):
 *
 *   filter     := expression ( '|' expression )*
 *   expression := ( INCLUDE | EXCLUDE ) ItemID WHERE or
 *   or         := and ( OR and )*
 *   and        := primary ( AND primary )*
 *   primary    := '(' or ')' | comparison
 *   comparison := dataset '.' ATTRIBUTE ( [NOT] IN '(' values ')' | op value )
 *   dataset    := Items | Interactions
 *   values     := '$'NAME | literal ( ',' literal )*
 *   op         := '<' | '>' | '<=' | '>=' | '='
 *   literal    := '"' chars '"' | number
 *
 * Keywords are case-insensitive as in Personalize; attribute names are compared upper-cased.
 */

/** Longest expression accepted (Personalize's limit is 2,500 characters). */
export const MAX_FILTER_EXPRESSION_LENGTH = 2500;
/** Interactions columns a condition may read (what the user did to an item). */
const INTERACTION_ATTRIBUTES = new Set(['EVENT_TYPE']);

type TokenKind = 'word' | 'string' | 'number' | 'placeholder' | 'symbol' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** The string's or number's value, the placeholder's name, the word or symbol itself. */
  readonly value: string;
  readonly pos: number;
}

/** A syntax error: a 400 naming the position and the offending token. */
export class FilterSyntaxError extends ValidationError {
  constructor(message: string, parameter = 'expression') {
    super(`filter expression: ${message}`, parameter, 'InvalidFilterExpression');
  }
}

const describe = (t: Token) => (t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`);

/** Splits an expression into tokens; throws FilterSyntaxError at the first character no token starts with. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        // a backslash escapes a quote or a backslash inside a string literal
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (i >= text.length) throw new FilterSyntaxError(`unterminated string starting at position ${start}`);
      i++;
      tokens.push({ kind: 'string', text: text.slice(start, i), value, pos: start });
    } else if (c === '$') {
      const m = /^\$([A-Za-z0-9_]+)/.exec(text.slice(i));
      if (!m) throw new FilterSyntaxError(`'$' at position ${start} must start a placeholder like $CATEGORY`);
      i += m[0].length;
      tokens.push({ kind: 'placeholder', text: m[0], value: m[1], pos: start });
    } else if (/[-0-9.]/.test(c) && /^-?(\d+\.?\d*|\.\d+)/.test(text.slice(i))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'number', text: m[0], value: m[0], pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'word', text: m[0], value: m[0], pos: start });
    } else if ((c === '<' || c === '>') && text[i + 1] === '=') {
      i += 2;
      tokens.push({ kind: 'symbol', text: `${c}=`, value: `${c}=`, pos: start });
    } else if ('()|,.<>='.includes(c)) {
      i++;
      tokens.push({ kind: 'symbol', text: c, value: c, pos: start });
    } else {
      throw new FilterSyntaxError(`unexpected character '${c}' at position ${start}`);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', pos: text.length });
  return tokens;
}

class Parser {
  private at = 0;
  readonly placeholders: string[] = [];
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.at];
  }
  private next(): Token {
    return this.tokens[this.at++];
  }
  private fail(expected: string): never {
    const t = this.peek();
    throw new FilterSyntaxError(`expected ${expected} at position ${t.pos}, found ${describe(t)}`);
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.value.toUpperCase() === word;
  }
  private isSymbol(symbol: string): boolean {
    const t = this.peek();
    return t.kind === 'symbol' && t.value === symbol;
  }
  private word(word: string, shown = word): Token {
    if (!this.isWord(word.toUpperCase())) this.fail(shown);
    return this.next();
  }
  private symbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) this.fail(`'${symbol}'`);
    return this.next();
  }

  filter(): FilterAst {
    const expressions = [this.expression()];
    while (this.isSymbol('|')) {
      this.next();
      expressions.push(this.expression());
    }
    if (this.peek().kind !== 'end') this.fail(`'|' or the end of the expression`);
    return { expressions, placeholders: this.placeholders };
  }

  expression(): FilterExpression {
    const t = this.peek();
    let action: 'INCLUDE' | 'EXCLUDE';
    if (this.isWord('INCLUDE')) action = 'INCLUDE';
    else if (this.isWord('EXCLUDE')) action = 'EXCLUDE';
    else this.fail('INCLUDE or EXCLUDE');
    this.next();
    this.word('ITEMID', 'ItemID');
    this.word('WHERE');
    return { action, condition: this.or(), pos: t.pos };
  }

  or(): FilterCondition {
    let left = this.and();
    while (this.isWord('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  and(): FilterCondition {
    let left = this.primary();
    while (this.isWord('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.primary() };
    }
    return left;
  }

  primary(): FilterCondition {
    if (this.isSymbol('(')) {
      this.next();
      const inner = this.or();
      this.symbol(')');
      return inner;
    }
    return this.comparison();
  }

  comparison(): FilterCondition {
    const start = this.peek();
    const dataset = this.dataset();
    this.symbol('.');
    const attrToken = this.peek();
    if (attrToken.kind !== 'word') this.fail(`an attribute name after '${dataset}.'`);
    this.next();
    const attribute = attrToken.value.toUpperCase();
    if (dataset === 'Interactions' && !INTERACTION_ATTRIBUTES.has(attribute))
      throw new FilterSyntaxError(
        `unknown Interactions attribute '${attrToken.text}' at position ${attrToken.pos}; only EVENT_TYPE is supported`,
      );
    let negated = false;
    if (this.isWord('NOT')) {
      this.next();
      negated = true;
      if (!this.isWord('IN')) this.fail('IN after NOT');
    }
    if (this.isWord('IN')) {
      this.next();
      this.symbol('(');
      const operand = this.values();
      this.symbol(')');
      return { kind: 'in', dataset, attribute, negated, operand, pos: start.pos };
    }
    const opToken = this.peek();
    if (opToken.kind !== 'symbol' || !['<', '>', '<=', '>=', '='].includes(opToken.value))
      this.fail(`IN, NOT IN or a comparison (<, >, <=, >=, =) after '${dataset}.${attrToken.text}'`);
    this.next();
    if (dataset !== 'Items')
      throw new FilterSyntaxError(
        `'${opToken.text}' at position ${opToken.pos} compares only item attributes; Interactions take IN`,
      );
    const operand = this.value();
    return {
      kind: 'compare',
      dataset,
      attribute,
      op: opToken.value as ComparisonOp,
      operand,
      pos: start.pos,
    };
  }

  dataset(): FilterDataset {
    if (this.isWord('ITEMS')) {
      this.next();
      return 'Items';
    }
    if (this.isWord('INTERACTIONS')) {
      this.next();
      return 'Interactions';
    }
    return this.fail('Items or Interactions');
  }

  values(): FilterOperand {
    if (this.peek().kind === 'placeholder') return this.placeholder();
    const values = [this.literal()];
    while (this.isSymbol(',')) {
      this.next();
      values.push(this.literal());
    }
    return { kind: 'literals', values };
  }

  /** The right side of a comparison: one number or a placeholder. */
  value(): FilterOperand {
    if (this.peek().kind === 'placeholder') return this.placeholder();
    const t = this.peek();
    if (t.kind !== 'number') this.fail('a number or a placeholder');
    this.next();
    return { kind: 'literals', values: [Number(t.value)] };
  }

  placeholder(): FilterOperand {
    const t = this.next();
    if (!this.placeholders.includes(t.value)) this.placeholders.push(t.value);
    return { kind: 'placeholder', name: t.value, pos: t.pos };
  }

  literal(): string | number {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return t.value;
    }
    if (t.kind === 'number') {
      this.next();
      return Number(t.value);
    }
    return this.fail('a quoted value, a number or a placeholder');
  }
}

/**
 * Parses a filter expression into its syntax tree. Throws FilterSyntaxError (400) naming the position
 * and the token where the expression stops making sense.
 */
export function parseFilterExpression(text: string): FilterAst {
  if (text.trim() === '') throw new FilterSyntaxError('the expression is empty');
  if (text.length > MAX_FILTER_EXPRESSION_LENGTH)
    throw new FilterSyntaxError(
      `the expression is ${text.length} characters, at most ${MAX_FILTER_EXPRESSION_LENGTH} are allowed`,
    );
  return new Parser(tokenize(text)).filter();
}
