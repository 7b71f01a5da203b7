/**
 * The Lucene-like `filter` language of FRS (notes §5.3, doc:0014), as far as it is documented:
 *
 *   expr   := and ( '||' and )*
 *   and    := unary ( '&&' unary )*
 *   unary  := '(' '!' unary ')'          negation must be parenthesised: (!field:value)
 *           | '(' expr ')'
 *           | term
 *   term   := FIELD ':' ( range | VALUE )
 *   range  := ( '[' | '{' ) BOUND 'TO' BOUND ( ']' | '}' )    [ ] inclusive, { } exclusive, BOUND may be '*'
 *
 * FIELD is a declared custom field or the built-in `external_image_id`. Ranges only on numeric fields.
 * Values are bare words (no quoting, no wildcards, no empty values — "Empty-string / null searches not
 * supported"). Anything else is malformed → FRS.0012 "The request param has wrong format, filter, ...".
 */
import { FrsError } from './errors';
import { FIELD_NAME_RULE, NUMERIC_TYPES, parseTextValue, type FieldType, type FieldValue, type Schema } from './fields';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'term'; field: string; value: string }
  | { kind: 'range'; field: string; lower: string; upper: string; lowerInclusive: boolean; upperInclusive: boolean };

export class FilterSyntaxError extends Error {}

type Token =
  | { type: 'op'; value: '&&' | '||' | '(' | ')' | '[' | ']' | '{' | '}' | ':' | '!'; at: number }
  | { type: 'word'; value: string; at: number };

const SINGLE: Record<string, Token['value']> = {
  '(': '(',
  ')': ')',
  '[': '[',
  ']': ']',
  '{': '{',
  '}': '}',
  ':': ':',
  '!': '!',
};
const WORD_BREAK = /[\s()[\]{}:!&|]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '&' || c === '|') {
      if (text[i + 1] !== c) throw new FilterSyntaxError(`single '${c}' at ${i}`);
      tokens.push({ type: 'op', value: c === '&' ? '&&' : '||', at: i });
      i += 2;
      continue;
    }
    const single = SINGLE[c];
    if (single) {
      tokens.push({ type: 'op', value: single, at: i } as Token);
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !WORD_BREAK.test(text[j] as string)) j++;
    tokens.push({ type: 'word', value: text.slice(i, j), at: i });
    i = j;
  }
  return tokens;
}

export function parseFilter(text: string): FilterNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new FilterSyntaxError('empty filter');
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (value: string): boolean => {
    const t = peek();
    return t !== undefined && t.type === 'op' && t.value === value;
  };
  const expectOp = (value: string): void => {
    if (!isOp(value)) throw new FilterSyntaxError(`expected '${value}' ${where()}`);
    pos++;
  };
  const where = (): string => {
    const t = peek();
    return t ? `at ${t.at}` : 'at end';
  };
  const word = (what: string): string => {
    const t = peek();
    if (!t || t.type !== 'word') throw new FilterSyntaxError(`expected ${what} ${where()}`);
    pos++;
    return t.value;
  };

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isOp('||')) {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseUnary();
    while (isOp('&&')) {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): FilterNode => {
    if (isOp('(')) {
      pos++;
      if (isOp('!')) {
        pos++;
        const operand = parseUnary();
        expectOp(')');
        return { kind: 'not', operand };
      }
      const inner = parseOr();
      expectOp(')');
      return inner;
    }
    if (isOp('!')) throw new FilterSyntaxError(`negation must be parenthesised ${where()}`);
    return parseTerm();
  };
  const parseTerm = (): FilterNode => {
    const field = word('a field name');
    if (!FIELD_NAME_RULE.test(field)) throw new FilterSyntaxError(`bad field name '${field}'`);
    expectOp(':');
    if (isOp('[') || isOp('{')) {
      const lowerInclusive = isOp('[');
      pos++;
      const lower = word('a lower bound');
      const to = word("'TO'");
      if (to !== 'TO') throw new FilterSyntaxError(`expected 'TO', got '${to}'`);
      const upper = word('an upper bound');
      let upperInclusive: boolean;
      if (isOp(']')) upperInclusive = true;
      else if (isOp('}')) upperInclusive = false;
      else throw new FilterSyntaxError(`expected ']' or '}' ${where()}`);
      pos++;
      return { kind: 'range', field, lower, upper, lowerInclusive, upperInclusive };
    }
    const value = word('a value');
    if (value === '*') throw new FilterSyntaxError('wildcard values are not supported');
    return { kind: 'term', field, value };
  };

  const root = parseOr();
  if (pos !== tokens.length) throw new FilterSyntaxError(`unexpected token ${where()}`);
  return root;
}

export interface FilterableFace {
  external_image_id: string;
  external_fields: Record<string, FieldValue>;
}

export type FacePredicate = (face: FilterableFace) => boolean;

/**
 * Parses and type-checks a filter against a face set's schema. Throws FrsError:
 * FRS.0012 for syntax/type errors, FRS.0402 for a field that is not declared.
 */
export function compileFilter(text: string, schema: Schema): FacePredicate {
  let ast: FilterNode;
  try {
    ast = parseFilter(text);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new FrsError('FRS.0012', `filter, ${e.message}`);
    throw e;
  }
  return compileNode(ast, schema);
}

function fieldType(field: string, schema: Schema): FieldType {
  if (field === 'external_image_id') return 'string';
  const decl = schema[field];
  if (!decl) throw new FrsError('FRS.0402', `filter field ${field} is not defined in the face set`);
  return decl.type;
}

function valueOf(face: FilterableFace, field: string): FieldValue | undefined {
  return field === 'external_image_id' ? face.external_image_id : face.external_fields[field];
}

function compileNode(node: FilterNode, schema: Schema): FacePredicate {
  switch (node.kind) {
    case 'and': {
      const l = compileNode(node.left, schema);
      const r = compileNode(node.right, schema);
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = compileNode(node.left, schema);
      const r = compileNode(node.right, schema);
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const inner = compileNode(node.operand, schema);
      return (f) => !inner(f);
    }
    case 'term': {
      const type = fieldType(node.field, schema);
      const wanted = parseTextValue(type, node.value);
      if (wanted === undefined)
        throw new FrsError('FRS.0012', `filter, value '${node.value}' is not a ${type} for ${node.field}`);
      return (f) => valueOf(f, node.field) === wanted;
    }
    case 'range': {
      const type = fieldType(node.field, schema);
      if (!NUMERIC_TYPES.includes(type))
        throw new FrsError('FRS.0012', `filter, range on non-numeric field ${node.field}`);
      const bound = (text: string): number | undefined => {
        if (text === '*') return undefined;
        const v = parseTextValue(type, text);
        if (typeof v !== 'number')
          throw new FrsError('FRS.0012', `filter, bound '${text}' is not a ${type} for ${node.field}`);
        return v;
      };
      const lo = bound(node.lower);
      const hi = bound(node.upper);
      return (f) => {
        const v = valueOf(f, node.field);
        if (typeof v !== 'number') return false;
        if (lo !== undefined && (node.lowerInclusive ? v < lo : v <= lo)) return false;
        if (hi !== undefined && (node.upperInclusive ? v > hi : v >= hi)) return false;
        return true;
      };
    }
  }
}
