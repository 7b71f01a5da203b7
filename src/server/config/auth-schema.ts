import { SCOPES } from '../../domain/access';
import { isPlainObject, keyPath } from './expand';
import { INVALID, httpUrl, list, object, oneOf, opt, pattern, req, secret, str, type Rule } from './rules';

// The `auth` section (docs/schema-contract.graphql, block "Access"). Keys in the file are SHA-256 digests only:
// the secrets themselves live in a secret manager, or are made by `npm run keys -- create`.

const keyId = pattern(/^[A-Za-z0-9_.:-]{1,64}$/, 'use 1-64 letters, digits, _ . : or -');
// Never echoed: a key pasted here by mistake is a secret.
const sha256: Rule<string> = (value, at, ctx) =>
  typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value)
    ? value
    : ctx.report(
        at,
        'must be the SHA-256 of the key as 64 hex characters, never the key itself (npm run keys prints keys)',
      );
const scopeList = list(oneOf(SCOPES), 1);

const apiKey = object(
  { id: req(keyId), sha256: req(sha256), scopes: req(scopeList), providers: opt(list(str(), 1)), name: opt(str()) },
  ' in an auth key',
);

const jwtFields = object(
  { jwksUrl: opt(httpUrl()), publicKeyPem: opt(str()), issuer: req(str()), audience: req(str()) },
  ' in auth.jwt',
);

const jwt: Rule = (value, at, ctx) => {
  const settings = jwtFields(value, at, ctx);
  if (settings === INVALID) return INVALID;
  if ((settings.jwksUrl === undefined) === (settings.publicKeyPem === undefined)) {
    return ctx.report(at, 'give exactly one of jwksUrl or publicKeyPem');
  }
  if (typeof settings.publicKeyPem === 'string' && !/-----BEGIN PUBLIC KEY-----/.test(settings.publicKeyPem)) {
    return ctx.report(keyPath(at, 'publicKeyPem'), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  return settings;
};

const authFields = object(
  { keys: opt(list(apiKey), []), jwt: opt(jwt), routerSecret: opt(secret()), mode: opt(oneOf(['none'] as const)) },
  ' in auth',
);

export const authSection: Rule = (value, at, ctx) => {
  const auth = authFields(value, at, ctx);
  if (auth === INVALID || !Array.isArray(auth.keys)) return auth;
  const seen = new Map<string, number>();
  auth.keys.forEach((k: unknown, i: number) => {
    if (!isPlainObject(k) || typeof k.id !== 'string') return;
    const first = seen.get(k.id);
    const idAt = keyPath(keyPath(keyPath(at, 'keys'), i), 'id');
    if (first !== undefined) ctx.report(idAt, `'${k.id}' is already used by keys[${first}]`);
    else seen.set(k.id, i);
  });
  return auth;
};
