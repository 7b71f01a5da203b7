import * as path from 'node:path';
import { isPlainObject, keyPath } from './expand';
import {
  Ctx, Field, INVALID, Rule, bool, check, httpUrl, int, list, object, oneOf, opt, pattern, positiveNumber, req, secret, str,
} from './rules';
import type { FacegraphConfig, ProviderConfig } from './types';

export const PROVIDER_KINDS = ['LOCAL', 'HUAWEI_FRS', 'AZURE_FACE', 'ALIBABA_MTS'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const DEFAULT_PROVIDER: ProviderConfig = { id: 'local', kind: 'LOCAL' };
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_LEDGER_URL = 'sqlite:./data/facegraph.db';

type Kind = (typeof PROVIDER_KINDS)[number];

const HUAWEI_AUTH = [['accessKeyId', 'secretAccessKey'], ['token'], ['username', 'password', 'domainName']];
const HUAWEI_AUTH_TEXT = HUAWEI_AUTH.map((keys) => `{${keys.join(', ')}}`).join(', ');

const huaweiCredentials: Rule = (value, at, ctx) => {
  if (!isPlainObject(value)) return ctx.report(at, `must be a mapping with one of ${HUAWEI_AUTH_TEXT}`);
  const keys = Object.keys(value);
  const shapes = HUAWEI_AUTH.filter((shape) => keys.some((k) => shape.includes(k)));
  if (shapes.length !== 1) return ctx.report(at, `must hold exactly one of ${HUAWEI_AUTH_TEXT}`);
  return object(Object.fromEntries(shapes[0].map((k) => [k, req(secret())])))(value, at, ctx);
};

const rateLimitPerSecond = opt(positiveNumber());
const timeoutMs = opt(int(1, 300_000));

const KIND_FIELDS: Record<Kind, Record<string, Field>> = {
  LOCAL: {},
  HUAWEI_FRS: {
    region: req(str()),
    projectId: req(str()),
    endpoint: opt(httpUrl()),
    iamEndpoint: opt(httpUrl()),
    credentials: req(huaweiCredentials),
    rateLimitPerSecond,
    timeoutMs,
  },
  AZURE_FACE: {
    endpoint: req(httpUrl()),
    credentials: req(object({ subscriptionKey: req(secret()) })),
    rateLimitPerSecond,
    timeoutMs,
  },
  ALIBABA_MTS: {
    region: req(str()),
    endpoint: opt(httpUrl()),
    credentials: req(object({ accessKeyId: req(secret()), accessKeySecret: req(secret()) })),
    signatureVersion: opt(oneOf(['V3', 'V1'] as const)),
    rateLimitPerSecond,
    timeoutMs,
  },
};

const providerId = pattern(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, _ or -');
const kindRule = oneOf(PROVIDER_KINDS);
const providerRules = Object.fromEntries(
  PROVIDER_KINDS.map((kind) => [
    kind,
    object({ id: req(providerId), kind: req(kindRule), ...KIND_FIELDS[kind] }, ` for ${kind}`),
  ]),
) as Record<Kind, Rule<Record<string, unknown>>>;

const provider: Rule = (value, at, ctx) => {
  if (!isPlainObject(value)) return ctx.report(at, `must be a mapping, got ${ctx.show(at, value)}`);
  if (value.kind === undefined || value.kind === null) {
    return ctx.report(keyPath(at, 'kind'), `is required, one of ${PROVIDER_KINDS.join(', ')}`);
  }
  const kind = check(kindRule, value.kind, keyPath(at, 'kind'), ctx);
  if (kind === INVALID) return INVALID;
  return providerRules[kind](value, at, ctx);
};

const ledgerUrl = pattern(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be 'sqlite:<path>' or 'postgres://...'");

const root = object({
  server: opt(object({ port: opt(int(0, 65535), 4000), host: opt(str(), '127.0.0.1'), graphiql: opt(bool(), true) }), {}),
  ledger: opt(object({ url: opt(ledgerUrl) }), {}),
  dataDir: opt(str()),
  images: opt(
    object({
      maxBytes: opt(int(1), 8 * 1024 * 1024),
      minSide: opt(int(1), 32),
      maxSide: opt(int(1), 8192),
      urlFetch: opt(
        object({ allowList: opt(list(str()), []), timeoutMs: opt(int(1), 10_000), maxRedirects: opt(int(0, 20), 3) }),
        {},
      ),
    }),
    {},
  ),
  log: opt(object({ level: opt(oneOf(LOG_LEVELS), 'info') }), {}),
  faceEngine: opt(object({ workers: opt(int(1, 16)), maxQueue: opt(int(1, 10_000)) }), {}),
  providers: opt(list(provider, 1), [DEFAULT_PROVIDER]),
});

/** Validates the expanded document and fills defaults; problems go to ctx.issues. */
export function validateConfig(doc: unknown, ctx: Ctx, cwd: string): FacegraphConfig {
  const result = check(root, doc, '', ctx);
  const c = (result === INVALID ? {} : result) as Partial<FacegraphConfig>;

  const images = c.images;
  if (images && images.minSide > images.maxSide) {
    ctx.report('images.minSide', `must not be larger than images.maxSide (${images.maxSide})`);
  }

  const raw = isPlainObject(doc) && Array.isArray(doc.providers) ? doc.providers : [];
  const seen = new Map<unknown, number>();
  raw.forEach((p, i) => {
    const id = isPlainObject(p) && typeof p.id === 'string' ? p.id : undefined;
    if (id === undefined) return;
    const first = seen.get(id);
    const at = `providers[${i}].id`;
    if (first !== undefined) ctx.report(at, `${ctx.show(at, id)} is already used by providers[${first}]`);
    else seen.set(id, i);
  });

  const dataDir = path.resolve(cwd, c.dataDir ?? DEFAULT_DATA_DIR);
  const ledgerUrl = c.ledger?.url ?? (c.dataDir ? `sqlite:${path.join(dataDir, 'facegraph.db')}` : DEFAULT_LEDGER_URL);
  return { ...c, ledger: { url: ledgerUrl }, dataDir } as FacegraphConfig;
}
