/** Stands in for a string whose ${VAR} could not be resolved; validation skips it (already reported). */
export const UNRESOLVED: unique symbol = Symbol('unresolved');

export interface Expansion {
  value: unknown;
  issues: string[];
  /** Key path -> where its value came from ("${HUAWEI_SK}"), so messages never show the value itself. */
  sources: Map<string, string>;
}

export function keyPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Replaces ${VAR} and ${VAR:-default} in every string value; $${ is a literal "${". */
export function expandEnv(doc: unknown, env: NodeJS.ProcessEnv): Expansion {
  const issues: string[] = [];
  const sources = new Map<string, string>();

  const expandString = (text: string, path: string): string | typeof UNRESOLVED => {
    const used: string[] = [];
    let failed = false;
    const out = text.replace(/\$\$\{|\$\{([^}]*)(\})?/g, (match: string, inner: string | undefined, close?: string) => {
      if (match === '$${') return '${';
      const m = close ? NAME.exec(inner ?? '') : null;
      if (!m) {
        const what = close ? 'a malformed ${...} reference' : 'a ${ without a closing }';
        issues.push(`${path}: has ${what}; use \${NAME} or \${NAME:-default}, or $\${ for a literal \${`);
        failed = true;
        return '';
      }
      const [, name, fallback] = m;
      used.push(`\${${name}}`);
      const set = env[name];
      if (fallback !== undefined) return set ? set : fallback;
      if (set === undefined) {
        issues.push(`${path} uses \${${name}}, which is not set`);
        failed = true;
        return '';
      }
      return set;
    });
    if (used.length) sources.set(path, used.join(' and '));
    return failed ? UNRESOLVED : out;
  };

  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return expandString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, keyPath(path, i)));
    if (isPlainObject(value)) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) copy[k] = walk(v, keyPath(path, k));
      return copy;
    }
    return value;
  };

  return { value: walk(doc, ''), issues, sources };
}
