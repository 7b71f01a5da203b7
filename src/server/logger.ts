import pino, { type DestinationStream, type Logger } from 'pino';
import type { FacegraphConfig, ProviderConfig } from './config/types';

export type LogLevel = FacegraphConfig['log']['level'];

/**
 * Keys whose values are secrets or image bytes; redacted at the top and up to 3 levels down (each wildcard level
 * costs).
 */
const SECRET_KEYS = [
  'credentials',
  'password',
  'secretAccessKey',
  'accessKeySecret',
  'accessKeyId',
  'subscriptionKey',
  'token',
  'securityToken',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'ocp-apim-subscription-key',
  'Ocp-Apim-Subscription-Key',
  'x-auth-token',
  'X-Auth-Token',
  'x-subject-token',
  'X-Subject-Token',
  'x-security-token',
  'X-Security-Token',
  'x-acs-security-token',
  'base64',
  'image',
  'imageBase64',
  'image_base64',
  'bytes',
  'urlSigningKey',
  'signature',
];
const REDACT_DEPTH = 4;

export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const plain = /^[A-Za-z_$][\w$]*$/.test(key);
  return Array.from({ length: REDACT_DEPTH }, (_, depth) => {
    const prefix = Array(depth).fill('*').join('.');
    if (plain) return prefix ? `${prefix}.${key}` : key;
    return `${prefix}["${key}"]`;
  });
});

const CREDENTIAL_KEY_NAMES = new Set([
  'accessKeyId',
  'secretAccessKey',
  'token',
  'username',
  'password',
  'domainName',
  'subscriptionKey',
  'accessKeySecret',
]);

// Kept: a byte count under "bytes" (a Buffer there is image data) and the key-name lists of describeConfigForLog().
const censor = (value: unknown, path: string[]): unknown => {
  const key = path[path.length - 1];
  if (key === 'bytes' && typeof value === 'number') return value;
  if (key === 'credentials' && Array.isArray(value) && value.every((k) => CREDENTIAL_KEY_NAMES.has(k))) return value;
  return '[Redacted]';
};

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'facegraph',
    level,
    redact: { paths: [...REDACT_PATHS], censor },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

type LoggableProvider = Omit<ProviderConfig, 'credentials'> & { credentials?: string[] };
export type LoggableConfig = Omit<FacegraphConfig, 'providers'> & { providers: LoggableProvider[] };

/** A copy of the config that is safe to log: credentials become their key names, URL passwords are masked. */
export function describeConfigForLog(config: FacegraphConfig): LoggableConfig {
  const copy = structuredClone(config) as LoggableConfig;
  copy.ledger.url = maskUrlPassword(copy.ledger.url);
  if (copy.tracing) copy.tracing.otlpUrl = maskUrlPassword(copy.tracing.otlpUrl);
  if (copy.redis) copy.redis.url = maskUrlPassword(copy.redis.url);
  // Whether one is set, never the key: it signs every image link.
  if (copy.images?.urlSigningKey) copy.images.urlSigningKey = 'set';
  copy.providers = config.providers.map((p) => {
    const out: Record<string, unknown> = { ...p };
    if ('credentials' in p) out.credentials = Object.keys(p.credentials);
    if ('imageStaging' in p && p.imageStaging) {
      const { accessKeyId: _id, accessKeySecret: _secret, ...staging } = p.imageStaging;
      out.imageStaging = {
        ...staging,
        endpoint: maskUrlPassword(staging.endpoint),
        credentials: ['accessKeyId', 'accessKeySecret'],
      };
    }
    for (const key of ['endpoint', 'iamEndpoint']) {
      if (typeof out[key] === 'string') out[key] = maskUrlPassword(out[key] as string);
    }
    return out as LoggableProvider;
  });
  if (config.auth) {
    // Key ids and the issuer only: never the router secret, and no digest to try guesses against.
    const { keys, jwt, routerSecret, mode } = config.auth;
    (copy as { auth?: unknown }).auth = {
      keys: keys.map((k) => ({ id: k.id, scopes: k.scopes, providers: k.providers })),
      ...(jwt
        ? { jwt: { issuer: jwt.issuer, audience: jwt.audience, keys: jwt.jwksUrl ? 'jwksUrl' : 'publicKeyPem' } }
        : {}),
      ...(routerSecret ? { routerSecret: 'set' } : {}),
      ...(mode ? { mode } : {}),
    };
  }
  return copy;
}

function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/**
 * For log lines whose fields are fixed and hold no secret (the per-operation line: name, time, error count):
 * the same logger without the redaction paths, which cost more than the rest of the line on a cached read.
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}
