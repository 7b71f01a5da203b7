import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { decideAuthSettings, InsecureStartRefused, isLoopbackHost } from '../../src/server/auth/auth-mode';
import {
  AuthenticationError,
  Authenticator,
  type ApiKeyLookup,
  type ApiKeyRecord,
  type AuthSettings,
} from '../../src/server/auth/authenticator';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'facegraph';

/** Keys created at run time, as the ledger would hold them. */
class MemoryKeys implements ApiKeyLookup {
  readonly records = new Map<string, ApiKeyRecord>();
  readonly touches: string[] = [];
  lookups = 0;
  async apiKeyBySha256(sha256: string) {
    this.lookups++;
    return this.records.get(sha256) ?? null;
  }
  async touchApiKey(id: string) {
    this.touches.push(id);
  }
  add(secret: string, record: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
    const full: ApiKeyRecord = {
      id: 'k1',
      sha256: sha256Hex(secret),
      scopes: ['read'],
      providers: null,
      expiresAt: null,
      revokedAt: null,
      ...record,
    };
    this.records.set(full.sha256, full);
    return full;
  }
}

const settings = (overrides: Partial<AuthSettings> = {}): AuthSettings => ({
  mode: 'required',
  keys: [],
  jwt: null,
  routerSecret: null,
  ...overrides,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AuthenticationError);
    return (e as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('API keys', () => {
  test('a created key gives its id, scopes and providers, and its use is recorded at most once a minute', async () => {
    const keys = new MemoryKeys();
    const secret = newApiKeySecret();
    keys.add(secret, { id: 'reader', scopes: ['read', 'search'], providers: ['local'] });
    const auth = new Authenticator(settings(), keys);
    const now = new Date('2026-12-05T00:00:00Z');
    const access = await auth.authenticate(bearer(secret), now);
    expect({ actor: access.actor, scopes: [...access.scopes], providers: [...(access.providers ?? [])] }).toEqual({
      actor: 'reader',
      scopes: ['read', 'search'],
      providers: ['local'],
    });
    await auth.authenticate(bearer(secret), new Date(now.getTime() + 30_000));
    await auth.authenticate(bearer(secret), new Date(now.getTime() + 61_000));
    expect(keys.touches).toEqual(['reader', 'reader']);
  });

  test(
    'a ledger key is read once per ledger version: a ' + 'revocation (which moves the version) is seen at once',
    async () => {
      const keys = new MemoryKeys();
      const secret = newApiKeySecret();
      const record = keys.add(secret, { id: 'reader' });
      const auth = new Authenticator(settings(), keys);
      let version = 'v1';
      const withVersion = { ...bearer(secret), ledgerVersion: async () => version };
      for (let i = 0; i < 3; i++) expect((await auth.authenticate(withVersion)).actor).toBe('reader');
      expect(keys.lookups).toBe(1);
      keys.records.set(record.sha256, { ...record, revokedAt: new Date(Date.now() - 1000) });
      version = 'v2';
      expect(await refusal(auth.authenticate(withVersion))).toBe('The API key was revoked.');
      expect(keys.lookups).toBe(2);
      // An unknown key is not remembered: each attempt looks again.
      const unknown = { ...bearer(newApiKeySecret()), ledgerVersion: async () => version };
      for (let i = 0; i < 2; i++)
        expect(await refusal(auth.authenticate(unknown))).toBe('The API key is not known to this server.');
      expect(keys.lookups).toBe(4);
    },
  );

  test('a key from the config file is matched by its SHA-256', async () => {
    const secret = newApiKeySecret();
    const auth = new Authenticator(
      settings({
        keys: [
          { id: 'ci', sha256: sha256Hex(secret), scopes: ['admin'], providers: null, expiresAt: null, revokedAt: null },
        ],
      }),
      new MemoryKeys(),
    );
    expect((await auth.authenticate(bearer(secret))).actor).toBe('ci');
  });

  test(
    'missing, malformed, unknown, ' + 'expired and revoked keys are refused with a reason and without the secret',
    async () => {
      const keys = new MemoryKeys();
      const expired = newApiKeySecret();
      const revoked = newApiKeySecret();
      keys.add(expired, { id: 'old', expiresAt: new Date('2026-01-01T00:00:00Z') });
      keys.add(revoked, { id: 'gone', revokedAt: new Date('2026-01-01T00:00:00Z') });
      const auth = new Authenticator(settings(), keys);
      const unknown = newApiKeySecret();
      expect(await refusal(auth.authenticate({}))).toMatch(/credential is required/);
      expect(await refusal(auth.authenticate({ authorization: 'Basic dXNlcjpwdw==' }))).toMatch(/must be "Bearer/);
      expect(await refusal(auth.authenticate(bearer(unknown)))).toBe('The API key is not known to this server.');
      expect(await refusal(auth.authenticate(bearer(expired)))).toBe('The API key has expired.');
      expect(await refusal(auth.authenticate(bearer(revoked)))).toBe('The API key was revoked.');
      expect(await refusal(auth.authenticate(bearer('not-a-key')))).toMatch(/not an API key/);
    },
  );

  test(
    'without enforcement a request with no credential is anonymous with every scope; ' + 'the first key ends that',
    async () => {
      const auth = new Authenticator(settings({ mode: 'local-development' }), new MemoryKeys());
      const access = await auth.authenticate({});
      expect({ actor: access.actor, scopes: [...access.scopes] }).toEqual({
        actor: 'anonymous',
        scopes: ['read', 'search', 'write', 'admin'],
      });
      auth.keyCreated();
      expect(await refusal(auth.authenticate({}))).toMatch(/credential is required/);
    },
  );
});

describe('router secret', () => {
  const auth = new Authenticator(settings({ mode: 'none', routerSecret: 's3cret-router' }), new MemoryKeys());
  test('present and right: let in', async () => {
    expect((await auth.authenticate({ routerSecret: 's3cret-router' })).actor).toBe('anonymous');
  });
  test('absent or wrong: refused', async () => {
    expect(await refusal(auth.authenticate({}))).toMatch(/x-router-secret header is missing/);
    expect(await refusal(auth.authenticate({ routerSecret: 's3cret-routeR' }))).toMatch(
      /x-router-secret header is wrong/,
    );
  });
});

describe('JWT', () => {
  let server: http.Server;
  let jwksUrl: string;
  let current: { kid: string; privateKey: KeyLike; publicKey: KeyLike };
  let served: { kid: string; publicKey: KeyLike }[];
  let fetches = 0;

  const keyPair = async (kid: string) => ({ kid, ...(await generateKeyPair('ES256')) });
  const sign = (claims: Record<string, unknown>, key = current, header: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-7')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  beforeAll(async () => {
    current = await keyPair('k1');
    served = [current];
    server = http.createServer(async (_req, res) => {
      fetches++;
      const keys = await Promise.all(
        served.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: 'ES256', use: 'sig' })),
      );
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const authenticator = (jwksCooldownMs = 0) =>
    new Authenticator(
      settings({ jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksCooldownMs } }),
      new MemoryKeys(),
    );

  test('a valid token gives jwt:<sub> and the scopes of `scope` or `scp`', async () => {
    const auth = authenticator();
    const fromScope = await auth.authenticate(bearer(await sign({ scope: 'read search unknown' })));
    expect({ actor: fromScope.actor, scopes: [...fromScope.scopes] }).toEqual({
      actor: 'jwt:user-7',
      scopes: ['read', 'search'],
    });
    const fromScp = await auth.authenticate(bearer(await sign({ scp: ['write'] })));
    expect([...fromScp.scopes]).toEqual(['write']);
  });

  test('expired, wrong audience, wrong issuer, wrong signature and alg none are refused', async () => {
    const auth = authenticator();
    const expired = await new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'ES256', kid: current.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('u')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(current.privateKey);
    expect(await refusal(auth.authenticate(bearer(expired)))).toBe('The JWT has expired.');
    const otherAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: current.kid })
      .setIssuer(ISSUER)
      .setAudience('someone-else')
      .setSubject('u')
      .setExpirationTime('5m')
      .sign(current.privateKey);
    expect(await refusal(auth.authenticate(bearer(otherAudience)))).toMatch(/another audience/);
    const otherIssuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: current.kid })
      .setIssuer('https://evil.test/')
      .setAudience(AUDIENCE)
      .setSubject('u')
      .setExpirationTime('5m')
      .sign(current.privateKey);
    expect(await refusal(auth.authenticate(bearer(otherIssuer)))).toMatch(/another issuer/);
    const impostor = await keyPair('k1');
    expect(await refusal(auth.authenticate(bearer(await sign({ scope: 'admin' }, impostor))))).toBe(
      'The JWT signature does not verify.',
    );
    const payload = (await sign({ scope: 'admin' })).split('.')[1];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(await refusal(auth.authenticate(bearer(none)))).toBe(
      'The JWT uses an algorithm this server does not accept.',
    );
  });

  test('a rotated key is fetched again when a token names a kid the cached set lacks', async () => {
    const auth = authenticator();
    await auth.authenticate(bearer(await sign({ scope: 'read' })));
    const before = fetches;
    const rotated = await keyPair('k2');
    served = [current, rotated];
    const access = await auth.authenticate(bearer(await sign({ scope: 'read' }, rotated)));
    expect(access.actor).toBe('jwt:user-7');
    expect(fetches).toBe(before + 1);
  });

  test('within the cooldown an unknown kid does not make it fetch again', async () => {
    const auth = authenticator(60_000);
    await auth.authenticate(bearer(await sign({ scope: 'read' })));
    const before = fetches;
    const stranger = await keyPair('k9');
    expect(await refusal(auth.authenticate(bearer(await sign({ scope: 'read' }, stranger))))).toMatch(
      /key this server does not know/,
    );
    expect(fetches).toBe(before);
  });

  test('a public key PEM works without a key set', async () => {
    const pem = await exportSPKI(current.publicKey);
    const auth = new Authenticator(
      settings({ jwt: { publicKeyPem: pem, issuer: ISSUER, audience: AUDIENCE } }),
      new MemoryKeys(),
    );
    expect((await auth.authenticate(bearer(await sign({ scope: 'read' })))).actor).toBe('jwt:user-7');
  });
});

describe('deciding the mode at start', () => {
  test('loopback addresses', () => {
    expect(['127.0.0.1', '127.3.4.5', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
  test('no auth on loopback is local development; any credential makes it required; none is explicit', () => {
    expect(decideAuthSettings(undefined, '127.0.0.1', false).mode).toBe('local-development');
    expect(decideAuthSettings(undefined, '127.0.0.1', true).mode).toBe('required');
    expect(
      decideAuthSettings({ keys: [{ id: 'a', sha256: 'a'.repeat(64), scopes: ['read'] }] }, '0.0.0.0', false).mode,
    ).toBe('required');
    expect(decideAuthSettings({ keys: [], mode: 'none' }, '0.0.0.0', false).mode).toBe('none');
  });
  test('a non-loopback address with no credential is refused, saying how to add one', () => {
    expect(() => decideAuthSettings(undefined, '0.0.0.0', false)).toThrow(InsecureStartRefused);
    expect(() => decideAuthSettings({ keys: [], routerSecret: 'x' }, '0.0.0.0', false)).toThrow(
      /npm run keys -- create/,
    );
  });
});
