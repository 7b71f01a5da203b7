import * as path from 'node:path';
import { DEFAULT_DECODE_POOL } from '../../datasources/images/decode-pool';
import { isPlainObject, keyPath } from './expand';
import {
  Ctx,
  Field,
  INVALID,
  Rule,
  bool,
  check,
  httpUrl,
  int,
  list,
  object,
  oneOf,
  opt,
  pattern,
  positiveNumber,
  req,
  secret,
  str,
} from './rules';
import { authSection } from './auth-schema';
import type { FacegraphConfig, ProviderConfig, RequestLimits } from './types';

export const PROVIDER_KINDS = ['LOCAL', 'HUAWEI_FRS', 'AZURE_FACE', 'ALIBABA_MTS'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const DEFAULT_PROVIDER: ProviderConfig = { id: 'local', kind: 'LOCAL' };
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_LEDGER_URL = 'sqlite:./data/facegraph.db';
/** Connections a PostgreSQL ledger's pool opens at most (per replica). */
export const DEFAULT_LEDGER_POOL_SIZE = 10;

// Why these values: the README's "Limits on one request" and tests/integration/limits.test.ts.
export const DEFAULT_LIMITS: RequestLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 2000,
  maxDirectives: 50,
  maxCost: 100_000,
  expensiveFieldsPerRequest: 5,
  imageUrlFetchesPerRequest: 5,
  requestsPerMinute: 600,
  // Two pages of the library browser (24 faces) a second, sustained for a minute, from one address.
  imageRequestsPerMinute: 1200,
};

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const TRACE_EXPORTERS = ['otlp', 'console', 'memory'] as const;

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

// OSS bucket naming rules: 3-63 characters, lower-case letters, digits and hyphens, a letter or digit at each end.
const ossBucket = pattern(
  /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  'an OSS bucket name is 3-63 characters of lower-case letters, digits and hyphens, ' +
    'starting and ending with a letter or digit',
);

// Object keys are UTF-8, at most 1023 bytes, and may not start with / or \; the prefix leaves room for
// "<sha256>.<ext>".
const ossKeyPrefix: Rule<string> = (value, at, ctx) => {
  if (typeof value !== 'string') return ctx.report(at, `must be a string, got ${ctx.show(at, value)}`);
  const dotSegment = value.split('/').some((segment) => segment === '.' || segment === '..');
  if (/^[/\\]/.test(value) || /[\u0000-\u001f\u007f]/.test(value) || dotSegment || Buffer.byteLength(value) > 900) {
    return ctx.report(
      at,
      `${ctx.show(at, value)} is not valid: an OSS key prefix is at most 900 bytes, ` +
        'without control characters or "." and ".." segments, and does not start with / or \\',
    );
  }
  return value;
};

export const STAGING_URL_EXPIRES = { min: 10, max: 3600, default: 300 } as const;
export const STAGING_ADDRESSING = ['virtual-hosted', 'path'] as const;

const imageStagingFields = object(
  {
    endpoint: req(httpUrl()),
    bucket: req(ossBucket),
    accessKeyId: req(secret()),
    accessKeySecret: req(secret()),
    prefix: opt(ossKeyPrefix, 'facegraph-staging/'),
    urlExpiresSeconds: opt(int(STAGING_URL_EXPIRES.min, STAGING_URL_EXPIRES.max), STAGING_URL_EXPIRES.default),
    addressing: opt(oneOf(STAGING_ADDRESSING), 'virtual-hosted'),
  },
  ' in imageStaging',
);

/**
 * An OSS bucket for base64 images on ALIBABA_MTS: `https://<bucket>.<endpoint host>/<key>` unless addressing is
 * `path`.
 */
const imageStaging: Rule = (value, at, ctx) => {
  const staging = imageStagingFields(value, at, ctx);
  if (staging === INVALID || typeof staging.endpoint !== 'string') return staging;
  const host = new URL(staging.endpoint).hostname;
  if (staging.addressing === 'virtual-hosted' && (/^\d+(\.\d+){3}$/.test(host) || host.startsWith('['))) {
    return ctx.report(
      keyPath(at, 'addressing'),
      `an IP address endpoint (${host}) cannot carry the bucket in its host name: set addressing: path`,
    );
  }
  return staging;
};
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
    imageStaging: opt(imageStaging),
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

export const IMAGE_KEEP_MODES = ['thumbnail', 'full', 'none'] as const;
export const IMAGE_URL_TTL_SECONDS = { min: 1, max: 7 * 86_400, default: 300 } as const;
const MIN_SIGNING_KEY_LENGTH = 32;

// Never echoed, not even when too short: it signs every image URL.
const signingKey: Rule<string> = (value, at, ctx) =>
  typeof value === 'string' && value.length >= MIN_SIGNING_KEY_LENGTH
    ? value
    : ctx.report(
        at,
        `must be a secret string of at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 48)`,
      );

const ledgerUrl = pattern(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be 'sqlite:<path>' or 'postgres://...'");

// Never echoed: the URL may hold a password.
const redisUrl: Rule<string> = (value, at, ctx) => {
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url && (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname) return value as string;
  return ctx.report(at, 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379');
};
const redisKeyPrefix = pattern(/^[\x21-\x7e]{1,64}$/, 'use 1-64 printable characters without spaces');

// An origin as browsers send it: scheme, host and optional port, nothing else.
const corsOrigin = pattern(/^https?:\/\/[^/\s?#]+$/, 'an origin is scheme://host[:port], e.g. https://app.example.com');

const root = object({
  server: opt(
    object({
      port: opt(int(0, 65535), 4000),
      host: opt(str(), '127.0.0.1'),
      // GraphiQL, the library browser (/ui) and introspection: on by default, off with NODE_ENV=production.
      graphiql: opt(bool()),
      ui: opt(bool()),
      introspection: opt(bool()),
      // 0 turns the cache of read answers off.
      responseCacheBytes: opt(int(0, 4 * 1024 * 1024 * 1024), 32 * 1024 * 1024),
      publicUrl: opt(httpUrl()),
      allowedHosts: opt(list(str())),
      cors: opt(object({ origins: opt(list(corsOrigin), []) }), {}),
    }),
    {},
  ),
  ledger: opt(object({ url: opt(ledgerUrl), poolSize: opt(int(1, 1000), DEFAULT_LEDGER_POOL_SIZE) }), {}),
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
      decoding: opt(
        object({
          concurrency: opt(int(1, 64), DEFAULT_DECODE_POOL.concurrency),
          maxWaiting: opt(int(0, 10_000), DEFAULT_DECODE_POOL.maxWaiting),
          maxWaitMs: opt(int(1, 300_000), DEFAULT_DECODE_POOL.maxWaitMs),
        }),
        {},
      ),
      keep: opt(oneOf(IMAGE_KEEP_MODES), 'thumbnail'),
      urlTtlSeconds: opt(int(IMAGE_URL_TTL_SECONDS.min, IMAGE_URL_TTL_SECONDS.max), IMAGE_URL_TTL_SECONDS.default),
      urlSigningKey: opt(signingKey),
      thumbnailCacheBytes: opt(int(0, 1024 * 1024 * 1024), 16 * 1024 * 1024),
    }),
    {},
  ),
  limits: opt(
    object({
      maxDepth: opt(int(1, 1000), DEFAULT_LIMITS.maxDepth),
      maxAliases: opt(int(0, 100_000), DEFAULT_LIMITS.maxAliases),
      maxTokens: opt(int(1, 1_000_000), DEFAULT_LIMITS.maxTokens),
      maxDirectives: opt(int(0, 100_000), DEFAULT_LIMITS.maxDirectives),
      maxCost: opt(int(1, 1_000_000_000), DEFAULT_LIMITS.maxCost),
      expensiveFieldsPerRequest: opt(int(1, 1000), DEFAULT_LIMITS.expensiveFieldsPerRequest),
      imageUrlFetchesPerRequest: opt(int(0, 1000), DEFAULT_LIMITS.imageUrlFetchesPerRequest),
      requestsPerMinute: opt(int(1, 1_000_000), DEFAULT_LIMITS.requestsPerMinute),
      imageRequestsPerMinute: opt(int(1, 1_000_000), DEFAULT_LIMITS.imageRequestsPerMinute),
    }),
    {},
  ),
  log: opt(object({ level: opt(oneOf(LOG_LEVELS), 'info') }), {}),
  faceEngine: opt(object({ workers: opt(int(1, 16)), maxQueue: opt(int(1, 10_000)) }), {}),
  providers: opt(list(provider, 1), [DEFAULT_PROVIDER]),
  auth: opt(authSection),
  metrics: opt(object({ enabled: opt(bool(), true) }), {}),
  tracing: opt(
    object({
      enabled: opt(bool(), false),
      serviceName: opt(str(), 'facegraph'),
      exporter: opt(oneOf(TRACE_EXPORTERS), 'otlp'),
      otlpUrl: opt(httpUrl(), 'http://localhost:4318/v1/traces'),
    }),
    {},
  ),
  audit: opt(object({ retentionDays: opt(int(1, 36_500), DEFAULT_AUDIT_RETENTION_DAYS) }), {}),
  redis: opt(object({ url: req(redisUrl), prefix: opt(redisKeyPrefix, 'facegraph:') }, ' in redis')),
});

/**
 * Validates the expanded document and fills defaults; problems go to ctx.issues. With `production`
 * (NODE_ENV=production) GraphiQL, the library browser and introspection are off unless the file turns them on.
 */
export function validateConfig(doc: unknown, ctx: Ctx, cwd: string, production = false): FacegraphConfig {
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

  const providerIds = new Set((c.providers ?? []).map((p) => p.id));
  c.auth?.keys.forEach((key, i) =>
    key.providers?.forEach((id, j) => {
      if (!providerIds.has(id)) {
        ctx.report(
          `auth.keys[${i}].providers[${j}]`,
          `'${id}' is not a configured provider (${[...providerIds].join(', ')})`,
        );
      }
    }),
  );

  const dataDir = path.resolve(cwd, c.dataDir ?? DEFAULT_DATA_DIR);
  const ledgerUrl = c.ledger?.url ?? (c.dataDir ? `sqlite:${path.join(dataDir, 'facegraph.db')}` : DEFAULT_LEDGER_URL);
  const server = c.server
    ? {
        ...c.server,
        graphiql: c.server.graphiql ?? !production,
        ui: c.server.ui ?? !production,
        introspection: c.server.introspection ?? !production,
      }
    : c.server;
  const ledger = { url: ledgerUrl, poolSize: c.ledger?.poolSize ?? DEFAULT_LEDGER_POOL_SIZE };
  return { ...c, server, ledger, dataDir } as FacegraphConfig;
}
