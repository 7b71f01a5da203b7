/** Custom fields (`external_fields`) of FRS face sets: schema and value rules (notes §5.1, §5.2). */
import { FrsError } from './errors';

export type FieldType = 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean';
export type FieldValue = string | number | boolean;
export type Schema = Record<string, { type: FieldType }>;

export const FIELD_TYPES: readonly FieldType[] = ['string', 'integer', 'long', 'float', 'double', 'boolean'];
export const NUMERIC_TYPES: readonly FieldType[] = ['integer', 'long', 'float', 'double'];
export const MAX_FIELDS = 10;
export const FIELD_NAME_RULE = /^[A-Za-z0-9_-]{1,36}$/;
/** Built-in names (doc:0012; the Python SDK list omits `similarity`, the doc has it: reserved here). */
export const RESERVED_FIELD_NAMES: readonly string[] = [
  'external_image_id',
  'bounding_box',
  'similarity',
  'face_id',
  'create_time',
  'vector',
  '_id',
  '_all',
  '_source',
];
export const STRING_VALUE_RULE = /^[A-Za-z0-9_-]{1,256}$/;
export const FACE_SET_NAME_RULE = /^[A-Za-z0-9_-]{1,64}$/;
export const EXTERNAL_IMAGE_ID_RULE = /^[A-Za-z0-9_-]{1,36}$/;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates the `external_fields` declaration given at face-set creation. */
export function parseSchema(value: unknown): Schema {
  if (!isPlainObject(value)) throw new FrsError('FRS.0012', 'external_fields');
  const keys = Object.keys(value);
  if (keys.length > MAX_FIELDS) throw new FrsError('FRS.0012', `external_fields, at most ${MAX_FIELDS} fields`);
  const schema: Schema = {};
  for (const key of keys) {
    if (!FIELD_NAME_RULE.test(key)) throw new FrsError('FRS.0012', `external_fields.${key}`);
    if (RESERVED_FIELD_NAMES.includes(key)) throw new FrsError('FRS.0012', `external_fields.${key} is a reserved name`);
    const decl = value[key];
    if (!isPlainObject(decl) || typeof decl['type'] !== 'string' || !FIELD_TYPES.includes(decl['type'] as FieldType)) {
      throw new FrsError('FRS.0012', `external_fields.${key}.type`);
    }
    schema[key] = { type: decl['type'] as FieldType };
  }
  return schema;
}

/** Checks one JSON value against a declared type; returns it unchanged or undefined when it does not fit. */
export function coerceJsonValue(type: FieldType, value: unknown): FieldValue | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' && STRING_VALUE_RULE.test(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
        ? value
        : undefined;
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'float':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
}

const INTEGER_LITERAL = /^[+-]?\d+$/;
const DECIMAL_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a textual value (query string, filter term) for a declared type; suffixes like `100L`/`1.0f` are rejected. */
export function parseTextValue(type: FieldType, text: string): FieldValue | undefined {
  switch (type) {
    case 'string':
      return STRING_VALUE_RULE.test(text) ? text : undefined;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'integer':
    case 'long':
      return INTEGER_LITERAL.test(text) ? coerceJsonValue(type, Number(text)) : undefined;
    case 'float':
    case 'double':
      return DECIMAL_LITERAL.test(text) ? coerceJsonValue(type, Number(text)) : undefined;
  }
}

export interface ValueOptions {
  /** what to do with keys that were not declared at face-set creation (real behaviour UNVERIFIED). */
  undeclared: 'reject' | 'ignore';
}

/** Validates `external_fields` values given when adding/updating a face. */
export function parseValues(schema: Schema, value: unknown, options: ValueOptions): Record<string, FieldValue> {
  if (!isPlainObject(value)) throw new FrsError('FRS.0012', 'external_fields');
  const out: Record<string, FieldValue> = {};
  for (const [key, raw] of Object.entries(value)) {
    const decl = schema[key];
    if (!decl) {
      if (options.undeclared === 'ignore') continue;
      throw new FrsError('FRS.0402', `external_fields.${key} is not defined in the face set`);
    }
    if (raw === null || raw === '') throw new FrsError('FRS.0011', `external_fields.${key}`);
    const v = coerceJsonValue(decl.type, raw);
    if (v === undefined) throw new FrsError('FRS.0012', `external_fields.${key} must be ${decl.type}`);
    out[key] = v;
  }
  return out;
}
