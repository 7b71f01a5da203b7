import { FaceGraphError } from '../../src/domain/errors';
import { validateFieldSchema, validateFieldValues } from '../../src/domain/fields';
import type { FieldDefinition } from '../../src/domain/model';

function invalidInputOf(run: () => unknown) {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(FaceGraphError);
    const detail = (e as FaceGraphError).detail;
    if (detail.type !== 'InvalidInputError') throw new Error(`expected InvalidInputError, got ${detail.type}`);
    return detail;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

const defs = (...names: string[]): FieldDefinition[] => names.map((name) => ({ name, type: 'STRING' }));

describe('validateFieldSchema', () => {
  it('accepts up to 10 well-named fields of every type and returns copies', () => {
    const input: FieldDefinition[] = [
      { name: 'dept', type: 'STRING' },
      { name: 'level', type: 'INTEGER' },
      { name: 'badge-no', type: 'LONG' },
      { name: 'Score_1', type: 'FLOAT' },
      { name: 'weight', type: 'DOUBLE' },
      { name: 'vip', type: 'BOOLEAN' },
      { name: 'a'.repeat(36), type: 'STRING' },
      { name: '_x', type: 'STRING' },
      { name: '9', type: 'STRING' },
      { name: 'last', type: 'STRING' },
    ];
    const out = validateFieldSchema(input);
    expect(out).toEqual(input);
    expect(out[0]).not.toBe(input[0]);
  });

  it('accepts an empty schema', () => {
    expect(validateFieldSchema([])).toEqual([]);
  });

  it('refuses more than 10 fields and says the limit', () => {
    const detail = invalidInputOf(() => validateFieldSchema(defs(...Array.from({ length: 11 }, (_, i) => `f${i}`))));
    expect(detail.field).toBe('fields');
    expect(detail.message).toContain('at most 10');
    expect(detail.message).toContain('got 11');
  });

  it.each(['', 'a b', 'a'.repeat(37), 'dépt', 'a.b', 'x/y'])(
    'refuses the field name %j and says what is allowed',
    (name) => {
      const detail = invalidInputOf(() => validateFieldSchema([...defs('ok', 'fine'), { name, type: 'STRING' }]));
      expect(detail.field).toBe('fields[2].name');
      expect(detail.message).toContain(`'${name}' is not allowed`);
      expect(detail.message).toContain("1-36 letters, digits, '_' or '-'");
    },
  );

  it('refuses a name that is not a string', () => {
    const detail = invalidInputOf(() =>
      validateFieldSchema([{ name: 7, type: 'STRING' } as unknown as FieldDefinition]),
    );
    expect(detail.field).toBe('fields[0].name');
  });

  it.each([
    'external_image_id',
    'bounding_box',
    'similarity',
    'face_id',
    'create_time',
    'vector',
    '_id',
    '_all',
    '_source',
  ])('refuses the reserved name %s', (name) => {
    const detail = invalidInputOf(() => validateFieldSchema(defs(name)));
    expect(detail.field).toBe('fields[0].name');
    expect(detail.message).toContain(`'${name}' is reserved`);
    expect(detail.constraint).toBe('reserved');
  });

  it('refuses a name declared twice and points at the second one', () => {
    const detail = invalidInputOf(() => validateFieldSchema(defs('dept', 'level', 'dept')));
    expect(detail.field).toBe('fields[2].name');
    expect(detail.message).toContain("'dept' is declared twice");
  });

  it('treats names that differ only in case as different fields', () => {
    expect(validateFieldSchema(defs('Dept', 'dept'))).toHaveLength(2);
  });

  it('refuses an unknown type and lists the allowed types', () => {
    const detail = invalidInputOf(() =>
      validateFieldSchema([{ name: 'age', type: 'NUMBER' } as unknown as FieldDefinition], 'input.fields'),
    );
    expect(detail.field).toBe('input.fields[0].type');
    expect(detail.message).toBe(
      `Field 'age' has type "NUMBER": use one of STRING, INTEGER, LONG, FLOAT, DOUBLE, BOOLEAN.`,
    );
  });
});

describe('validateFieldValues', () => {
  const schema: FieldDefinition[] = [
    { name: 'dept', type: 'STRING' },
    { name: 'level', type: 'INTEGER' },
    { name: 'badge', type: 'LONG' },
    { name: 'score', type: 'FLOAT' },
    { name: 'weight', type: 'DOUBLE' },
    { name: 'vip', type: 'BOOLEAN' },
  ];

  it('accepts values of the declared types and returns a new object', () => {
    const values = { dept: 'sales', level: -3, badge: 9007199254740991, score: 0.5, weight: 72, vip: false };
    const out = validateFieldValues(schema, values);
    expect(out).toEqual(values);
    expect(out).not.toBe(values);
  });

  it('accepts an empty object and a subset of the declared fields', () => {
    expect(validateFieldValues(schema, {})).toEqual({});
    expect(validateFieldValues(schema, { vip: true })).toEqual({ vip: true });
  });

  it.each([
    ['null', null],
    ['an array', ['a']],
    ['a string', 'dept=sales'],
    ['a number', 3],
    ['a class instance', new Date()],
  ])('refuses %s where an object is expected', (_label, values) => {
    const detail = invalidInputOf(() => validateFieldValues(schema, values));
    expect(detail.field).toBe('fields');
    expect(detail.message).toContain('must be a JSON object');
  });

  it('refuses an undeclared field and lists the declared ones', () => {
    const detail = invalidInputOf(() => validateFieldValues(schema, { team: 'a' }, 'input.fields'));
    expect(detail.field).toBe('input.fields.team');
    expect(detail.message).toBe(
      "Field 'team' is not declared: the library declares dept, level, badge, score, weight, vip.",
    );
  });

  it('says so when the library declares no fields at all', () => {
    const detail = invalidInputOf(() => validateFieldValues([], { team: 'a' }));
    expect(detail.message).toContain('the library declares no custom fields');
  });

  it('accepts a STRING of 1 to 256 characters and refuses empty, longer or non-string values', () => {
    expect(validateFieldValues(schema, { dept: 'x'.repeat(256) }).dept).toHaveLength(256);
    for (const dept of ['', 'x'.repeat(257), 3, true]) {
      const detail = invalidInputOf(() => validateFieldValues(schema, { dept }));
      expect(detail.field).toBe('fields.dept');
      expect(detail.message).toContain('must be a STRING of 1-256 characters');
    }
  });

  it('counts characters, not UTF-16 units: 256 emoji pass, 257 do not', () => {
    expect(validateFieldValues(schema, { dept: '😀'.repeat(256) }).dept).toBe('😀'.repeat(256));
    expect(invalidInputOf(() => validateFieldValues(schema, { dept: '😀'.repeat(257) })).field).toBe('fields.dept');
  });

  it('refuses a 6 MiB STRING by its length, without walking its characters', () => {
    const huge = 'x'.repeat(6 * 1024 * 1024);
    const walk = jest.spyOn(String.prototype, Symbol.iterator as never);
    try {
      const detail = invalidInputOf(() => validateFieldValues(schema, { dept: huge }));
      expect(detail.message).toBe(`Field 'dept' must be a STRING of 1-256 characters; got "${'x'.repeat(56)}....`);
      expect(walk).not.toHaveBeenCalled();
    } finally {
      walk.mockRestore();
    }
  });

  it('accepts INTEGER values at the 32-bit limits', () => {
    expect(validateFieldValues(schema, { level: 2147483647 }).level).toBe(2147483647);
    expect(validateFieldValues(schema, { level: -2147483648 }).level).toBe(-2147483648);
  });

  it('refuses an INTEGER that is a string, a fraction or outside 32 bits, without coercion', () => {
    const detail = invalidInputOf(() => validateFieldValues(schema, { level: 'three' }));
    expect(detail.field).toBe('fields.level');
    expect(detail.message).toBe(
      `Field 'level' must be an INTEGER (a whole number between -2147483648 and 2147483647); got "three".`,
    );
    for (const level of ['3', 1.5, 2147483648, -2147483649, NaN, null]) {
      expect(invalidInputOf(() => validateFieldValues(schema, { level })).field).toBe('fields.level');
    }
  });

  it('accepts a LONG up to MAX_SAFE_INTEGER and refuses beyond it or a fraction', () => {
    expect(validateFieldValues(schema, { badge: -9007199254740991 }).badge).toBe(-9007199254740991);
    for (const badge of [9007199254740992, 2.5, '12']) {
      const detail = invalidInputOf(() => validateFieldValues(schema, { badge }));
      expect(detail.message).toContain('must be a LONG');
    }
  });

  it('accepts any finite FLOAT and DOUBLE and refuses infinities, NaN and strings', () => {
    expect(validateFieldValues(schema, { score: -1e300, weight: 3 })).toEqual({ score: -1e300, weight: 3 });
    for (const score of [Infinity, NaN, '0.5']) {
      expect(invalidInputOf(() => validateFieldValues(schema, { score })).message).toContain(
        'must be a FLOAT (a finite number)',
      );
    }
    expect(invalidInputOf(() => validateFieldValues(schema, { weight: -Infinity })).message).toContain(
      "Field 'weight' must be a DOUBLE (a finite number); got -Infinity.",
    );
  });

  it('accepts true and false as BOOLEAN and refuses 1, "true" and null', () => {
    expect(validateFieldValues(schema, { vip: true }).vip).toBe(true);
    for (const vip of [1, 'true', null]) {
      expect(invalidInputOf(() => validateFieldValues(schema, { vip })).message).toContain(
        'must be a BOOLEAN (true or false)',
      );
    }
  });

  it('keeps a field named __proto__ as an ordinary value', () => {
    const values = JSON.parse('{"__proto__": "x"}');
    const out = validateFieldValues([{ name: '__proto__', type: 'STRING' }], values);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});
