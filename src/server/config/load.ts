import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error';
import { expandEnv, isPlainObject } from './expand';
import { Ctx } from './rules';
import { validateConfig } from './schema';
import type { FacegraphConfig } from './types';

/** Environment variables that override a key, whether or not a file is given. */
const ENV_OVERRIDES: Array<[name: string, section: string | null, key: string]> = [
  ['PORT', 'server', 'port'],
  ['HOST', 'server', 'host'],
  ['LOG_LEVEL', 'log', 'level'],
  ['FACEGRAPH_DATA_DIR', null, 'dataDir'],
];

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): FacegraphConfig {
  const file = env.FACEGRAPH_CONFIG ? path.resolve(cwd, env.FACEGRAPH_CONFIG) : undefined;
  const doc = file ? readConfigFile(file) : {};
  const { value, issues, sources } = expandEnv(doc, env);
  applyEnvOverrides(value as Record<string, unknown>, env, sources);
  const ctx = new Ctx(sources);
  const config = validateConfig(value, ctx, cwd, env.NODE_ENV === 'production');
  const all = [...issues, ...ctx.issues];
  if (all.length) throw new ConfigError(all, file ?? 'defaults and environment');
  return config;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? `config file ${file} does not exist` : `cannot read config file ${file} (${code})`;
    throw new ConfigError([`FACEGRAPH_CONFIG: ${problem}`], file);
  }
  const doc = parse(text, path.extname(file).toLowerCase(), file);
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc))
    throw new ConfigError(['the top level must be a mapping (server, ledger, providers, ...)'], file);
  return doc;
}

// Parser messages are cut to their first line: the yaml package quotes the offending source line,
// and Node's JSON.parse quotes a snippet, either of which may hold a literal secret.
function parse(text: string, ext: string, file: string): unknown {
  const asJson = () => JSON.parse(text) as unknown;
  const asYaml = () => parseYaml(text) as unknown;
  try {
    if (ext === '.json') return asJson();
    if (ext === '.yaml' || ext === '.yml') return asYaml();
    try {
      return asJson();
    } catch {
      return asYaml();
    }
  } catch (e) {
    const kind = ext === '.json' ? 'JSON' : 'YAML';
    const message = String((e as Error).message)
      .split('\n')[0]
      .replace(/:$/, '')
      .replace(/, ".*" is not valid JSON$/, '');
    throw new ConfigError([`not valid ${kind}: ${message}`], file);
  }
}

function applyEnvOverrides(doc: Record<string, unknown>, env: NodeJS.ProcessEnv, sources: Map<string, string>): void {
  for (const [name, section, key] of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let target = doc;
    if (section) {
      if (doc[section] === undefined || doc[section] === null) doc[section] = {};
      const inner = doc[section];
      if (!isPlainObject(inner)) continue;
      target = inner;
    }
    target[key] = value;
    sources.set(section ? `${section}.${key}` : key, `environment variable ${name}`);
  }
}
