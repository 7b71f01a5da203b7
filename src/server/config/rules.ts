import { UNRESOLVED, isPlainObject, keyPath } from './expand';

// A small declarative validator: a Rule checks (and may coerce) one value, reports problems into a
// Ctx and returns INVALID when the value cannot be used.

export const INVALID: unique symbol = Symbol('invalid');

export class Ctx {
  readonly issues: string[] = [];

  constructor(private readonly sources: ReadonlyMap<string, string> = new Map()) {}

  report(path: string, message: string): typeof INVALID {
    this.issues.push(path ? `${path}: ${message}` : message);
    return INVALID;
  }

  /** How to mention a value in a message: quoted, or only where it came from when it came from the environment. */
  show(path: string, value: unknown): string {
    const source = this.sources.get(path);
    if (source) return `the value of ${source}`;
    if (typeof value === 'string') return `'${value.length > 60 ? value.slice(0, 57) + '...' : value}'`;
    if (Array.isArray(value)) return 'a list';
    if (isPlainObject(value)) return 'a mapping';
    return String(value);
  }
}

export type Rule<T = unknown> = (value: unknown, path: string, ctx: Ctx) => T | typeof INVALID;

export interface Field {
  rule: Rule;
  required?: boolean;
  default?: () => unknown;
}

export function check<T>(rule: Rule<T>, value: unknown, path: string, ctx: Ctx): T | typeof INVALID {
  return value === UNRESOLVED ? INVALID : rule(value, path, ctx);
}

export const req = (rule: Rule): Field => ({ rule, required: true });
export const opt = (rule: Rule, fallback?: unknown): Field => ({
  rule,
  default: fallback === undefined ? undefined : () => structuredClone(fallback),
});

/** A mapping with known keys; unknown keys are errors that list the allowed ones. */
export function object(fields: Record<string, Field>, context = ''): Rule<Record<string, unknown>> {
  const allowed = Object.keys(fields).join(', ');
  return (value, path, ctx) => {
    if (!isPlainObject(value)) return ctx.report(path, `must be a mapping, got ${ctx.show(path, value)}`);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (!(key in fields)) ctx.report(keyPath(path, key), `unknown key; allowed keys${context} are ${allowed}`);
    }
    for (const [key, field] of Object.entries(fields)) {
      const at = keyPath(path, key);
      let v = value[key];
      if (v === undefined || v === null) {
        if (field.required) {
          ctx.report(at, `is required${context}`);
          continue;
        }
        if (!field.default) continue;
        v = field.default();
      }
      const result = check(field.rule, v, at, ctx);
      if (result !== INVALID) out[key] = result;
    }
    return out;
  };
}

export function list<T>(item: Rule<T>, minItems = 0): Rule<T[]> {
  return (value, path, ctx) => {
    if (!Array.isArray(value)) return ctx.report(path, `must be a list, got ${ctx.show(path, value)}`);
    if (value.length < minItems)
      return ctx.report(path, `must have at least ${minItems} item${minItems > 1 ? 's' : ''}`);
    const out: T[] = [];
    value.forEach((v, i) => {
      const result = check(item, v, keyPath(path, i), ctx);
      if (result !== INVALID) out.push(result);
    });
    return out;
  };
}

export function str(): Rule<string> {
  return (value, path, ctx) => {
    if (typeof value === 'string' && value.trim() !== '') return value;
    const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it in YAML)' : '';
    return ctx.report(path, `must be a non-empty string, got ${ctx.show(path, value)}${hint}`);
  };
}

/** Like str() but never shows the value, not even a wrong one. */
export function secret(): Rule<string> {
  return (value, path, ctx) =>
    typeof value === 'string' && value !== ''
      ? value
      : ctx.report(path, 'must be a non-empty string (quote numbers in YAML)');
}

export function pattern(re: RegExp, description: string): Rule<string> {
  return (value, path, ctx) =>
    typeof value === 'string' && re.test(value)
      ? value
      : ctx.report(path, `${ctx.show(path, value)} is not valid: ${description}`);
}

export function int(min: number, max?: number): Rule<number> {
  const range = max === undefined ? `>= ${min}` : `${min}-${max}`;
  return (value, path, ctx) => {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && (max === undefined || n <= max)) return n;
    return ctx.report(path, `must be an integer ${range}, got ${ctx.show(path, value)}`);
  };
}

export function positiveNumber(): Rule<number> {
  return (value, path, ctx) => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) return n;
    return ctx.report(path, `must be a number > 0, got ${ctx.show(path, value)}`);
  };
}

export function bool(): Rule<boolean> {
  return (value, path, ctx) => {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return ctx.report(path, `must be true or false, got ${ctx.show(path, value)}`);
  };
}

export function oneOf<T extends string>(values: readonly T[]): Rule<T> {
  return (value, path, ctx) =>
    (values as readonly unknown[]).includes(value)
      ? (value as T)
      : ctx.report(path, `${ctx.show(path, value)} is not one of ${values.join(', ')}`);
}

export function httpUrl(): Rule<string> {
  return (value, path, ctx) => {
    if (typeof value === 'string') {
      try {
        const url = new URL(value);
        if (url.protocol === 'http:' || url.protocol === 'https:') return value;
      } catch {
        // reported below
      }
    }
    return ctx.report(path, `must be an http(s) URL, got ${ctx.show(path, value)}`);
  };
}
