import { invalidInput } from './errors';
import { FIELD_TYPES, type FieldDefinition, type FieldType, type FieldValue, type FieldValues } from './model';

// Custom typed fields follow Huawei FRS rules, so a library behaves the same on every vendor.

export const MAX_FIELDS = 10;
export const MAX_STRING_LENGTH = 256;
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

const FIELD_NAME = /^[A-Za-z0-9_-]{1,36}$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function validateFieldSchema(defs: FieldDefinition[], fieldPath = 'fields'): FieldDefinition[] {
  if (!Array.isArray(defs)) {
    throw invalidInput(fieldPath, 'Fields must be a list of { name, type } definitions.', 'list');
  }
  if (defs.length > MAX_FIELDS) {
    throw invalidInput(
      fieldPath,
      `A library can declare at most ${MAX_FIELDS} custom fields; got ${defs.length}.`,
      `maxCount:${MAX_FIELDS}`,
    );
  }
  const seen = new Set<string>();
  return defs.map((def, i) => {
    const name: unknown = def?.name;
    const type: unknown = def?.type;
    if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
      throw invalidInput(
        `${fieldPath}[${i}].name`,
        `Field name ${typeof name === 'string' ? `'${name}'` : describe(name)} is not allowed: ` +
          "use 1-36 letters, digits, '_' or '-'.",
        'pattern:^[A-Za-z0-9_-]{1,36}$',
      );
    }
    if (RESERVED_FIELD_NAMES.includes(name)) {
      throw invalidInput(
        `${fieldPath}[${i}].name`,
        `Field name '${name}' is reserved: choose a name other than ${RESERVED_FIELD_NAMES.join(', ')}.`,
        'reserved',
      );
    }
    if (seen.has(name)) {
      throw invalidInput(
        `${fieldPath}[${i}].name`,
        `Field name '${name}' is declared twice: each name must be unique.`,
        'unique',
      );
    }
    seen.add(name);
    if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
      throw invalidInput(
        `${fieldPath}[${i}].type`,
        `Field '${name}' has type ${describe(type)}: use one of ${FIELD_TYPES.join(', ')}.`,
        `oneOf:${FIELD_TYPES.join(',')}`,
      );
    }
    return { name, type: type as FieldType };
  });
}

export function validateFieldValues(schema: FieldDefinition[], values: unknown, fieldPath = 'fields'): FieldValues {
  if (!isPlainObject(values)) {
    throw invalidInput(
      fieldPath,
      `Fields must be a JSON object of name to value, such as {"dept": "sales"}; got ${describe(values)}.`,
      'object',
    );
  }
  const types = new Map(schema.map((def) => [def.name, def.type]));
  const entries = Object.entries(values).map(([name, value]): [string, FieldValue] => {
    const type = types.get(name);
    if (type === undefined) {
      const declared =
        schema.length === 0
          ? 'the library declares no custom fields'
          : `the library declares ${schema.map((def) => def.name).join(', ')}`;
      throw invalidInput(`${fieldPath}.${name}`, `Field '${name}' is not declared: ${declared}.`, 'declared');
    }
    return [name, checkValue(name, type, value, `${fieldPath}.${name}`)];
  });
  // fromEntries defines own properties, so a field named __proto__ stays an ordinary key.
  return Object.fromEntries(entries);
}

function checkValue(name: string, type: FieldType, value: unknown, path: string): FieldValue {
  const wrong = (expected: string) =>
    invalidInput(path, `Field '${name}' must be ${expected}; got ${describe(value)}.`, `type:${type}`);
  switch (type) {
    case 'STRING':
      // A character is one or two UTF-16 units: a longer string is refused before it is walked (it may be megabytes).
      if (typeof value !== 'string' || value.length === 0 || value.length > 2 * MAX_STRING_LENGTH) {
        throw wrong(`a STRING of 1-${MAX_STRING_LENGTH} characters`);
      }
      if ([...value].length > MAX_STRING_LENGTH) {
        throw wrong(`a STRING of 1-${MAX_STRING_LENGTH} characters`);
      }
      return value;
    case 'INTEGER':
      if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX) {
        throw wrong(`an INTEGER (a whole number between ${INT32_MIN} and ${INT32_MAX})`);
      }
      return value as number;
    case 'LONG':
      if (!Number.isSafeInteger(value)) {
        throw wrong(`a LONG (a whole number between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER})`);
      }
      return value as number;
    case 'FLOAT':
    case 'DOUBLE':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong(`a ${type} (a finite number)`);
      return value;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') throw wrong('a BOOLEAN (true or false)');
      return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  // Only the start of a long string is shown, so only the start is serialised.
  const json = JSON.stringify(typeof value === 'string' && value.length > 60 ? value.slice(0, 60) : value);
  if (json === undefined) return typeof value;
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
