import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { rawRequest } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// What a hostile web page or client meets before any credential: Host names, paths, CORS, production defaults,
// and the per-credential rate limit.

const QUERY = JSON.stringify({ query: '{ providers { id } }' });
const JSON_HEADERS = { 'content-type': 'application/json' };

describe('on a default server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  test('a Host other than the loopback names is refused (DNS rebinding), health checks excepted', async () => {
    const rebound = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      { ...JSON_HEADERS, host: 'attacker.example:4000' },
      QUERY,
    );
    expect(rebound.status).toBe(403);
    expect(rebound.json.errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
    const page = await rawRequest(server.origin, 'GET', '/graphql', { host: 'attacker.example', accept: 'text/html' });
    expect(page.status).toBe(403);
    for (const host of ['localhost:4000', '127.0.0.1', '[::1]:80', 'LOCALHOST']) {
      expect((await rawRequest(server.origin, 'POST', '/graphql', { ...JSON_HEADERS, host }, QUERY)).status).toBe(200);
    }
    expect((await rawRequest(server.origin, 'GET', '/healthz', { host: '10.1.2.3:4000' })).status).toBe(200);
  });

  test('GraphQL answers at /graphql only', async () => {
    expect((await rawRequest(server.origin, 'POST', '/graphql', JSON_HEADERS, QUERY)).status).toBe(200);
    for (const path of ['/GRAPHQL', '/graphql/', '/graphql/anything', '/Graphql']) {
      const res = await rawRequest(server.origin, 'POST', path, JSON_HEADERS, QUERY);
      expect({ path, status: res.status, code: res.json?.errors?.[0]?.extensions?.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });

  test('no CORS headers for any origin unless configured', async () => {
    const preflight = await rawRequest(server.origin, 'OPTIONS', '/graphql', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const post = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      { ...JSON_HEADERS, origin: 'https://app.example.com' },
      QUERY,
    );
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });

  test(
    'client mistakes are client errors: unknown entity type, ' +
      'subscription over HTTP, a persisted-query hash that does not match',
    async () => {
      const post = (body: unknown) => rawRequest(server.origin, 'POST', '/graphql', JSON_HEADERS, JSON.stringify(body));
      const entities = await post({
        query: '{ _entities(representations: [{ __typename: "Nope", id: "1" }]) { __typename } }',
      });
      expect(entities.json.errors[0]).toMatchObject({
        message:
          'representations[0] names no entity of this subgraph; __typename must be one of Library, Person, Face.',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      const subscription = await post({ query: 'subscription { faceEvents { faceId } }' });
      expect({ status: subscription.status, code: subscription.json.errors[0].extensions.code }).toEqual({
        status: 400,
        code: 'BAD_REQUEST',
      });
      const persisted = await post({
        query: '{ providers { id } }',
        extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
      });
      expect({ status: persisted.status, error: persisted.json.errors[0] }).toEqual({
        status: 400,
        error: { message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } },
      });
    },
  );

  test('development defaults: introspection and suggestions on', async () => {
    const res = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      JSON_HEADERS,
      JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    );
    expect(res.json.data.__schema.queryType.name).toBe('Query');
  });
});

describe('with settings', () => {
  let server: TestServer;
  const secret = newApiKeySecret();
  beforeAll(async () => {
    server = await startTestServer({
      configure: (config) => {
        config.server.publicUrl = 'https://faces.example.com';
        config.server.cors = { origins: ['https://app.example.com'] };
        config.server.introspection = false;
        config.server.graphiql = false;
        config.limits.requestsPerMinute = 5;
        config.auth = { keys: [{ id: 'k', sha256: sha256Hex(secret), scopes: ['read'] }] };
      },
    });
  });
  afterAll(async () => server?.close());
  const auth = { ...JSON_HEADERS, authorization: `Bearer ${secret}` };

  test('publicUrl host is served; others still are not', async () => {
    expect(
      (await rawRequest(server.origin, 'POST', '/graphql', { ...auth, host: 'faces.example.com' }, QUERY)).status,
    ).toBe(200);
    expect(
      (await rawRequest(server.origin, 'POST', '/graphql', { ...auth, host: 'other.example.com' }, QUERY)).status,
    ).toBe(403);
  });

  test('an allowed origin gets CORS headers with the headers a GraphQL client sends; another does not', async () => {
    const preflight = await rawRequest(server.origin, 'OPTIONS', '/graphql', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization/);
    const other = await rawRequest(server.origin, 'OPTIONS', '/graphql', {
      origin: 'https://evil.example.com',
      'access-control-request-method': 'POST',
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('production settings: no introspection, no field suggestions, no GraphiQL', async () => {
    const introspection = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      auth,
      JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    );
    expect(introspection.status).toBe(400);
    expect(introspection.json.errors[0].message).toMatch(/introspection is not allowed/i);
    const typo = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      auth,
      JSON.stringify({ query: '{ provider { id } }' }),
    );
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.json)).not.toMatch(/Did you mean/);
    const page = await rawRequest(server.origin, 'GET', '/graphql', { accept: 'text/html' });
    expect(page.headers['content-type']).not.toMatch(/text\/html/);
  });

  test('over requestsPerMinute a credential gets 429 with Retry-After and RATE_LIMITED carrying the wait', async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof rawRequest>> | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await rawRequest(server.origin, 'POST', '/graphql', auth, QUERY);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    // Earlier tests in this file used some of the minute's 5 requests already.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused!.json.errors[0]).toMatchObject({
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(refused!.headers['retry-after']) },
    });
    expect(refused!.json.errors[0].message).toMatch(/at most 5 a minute.*limits\.requestsPerMinute/);
  });
});

describe('behind a router: JWT and router secret over HTTP', () => {
  let server: TestServer;
  let sign: (claims: Record<string, unknown>, expires?: number | string) => Promise<string>;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    sign = (claims, expires = '5m') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer('https://idp.test/')
        .setAudience('facegraph')
        .setSubject('ada')
        .setExpirationTime(expires)
        .sign(privateKey);
    const publicKeyPem = await exportSPKI(publicKey);
    server = await startTestServer({
      configure: (config) => {
        config.auth = {
          keys: [],
          jwt: { publicKeyPem, issuer: 'https://idp.test/', audience: 'facegraph' },
          routerSecret: 'r0uter',
        };
      },
    });
  });
  afterAll(async () => server?.close());

  const viewer = JSON.stringify({ query: '{ viewer { actor scopes } }' });

  test('a JWT through the router: its subject and scopes', async () => {
    const headers = {
      ...JSON_HEADERS,
      'x-router-secret': 'r0uter',
      authorization: `Bearer ${await sign({ scope: 'read search' })}`,
    };
    const res = await rawRequest(server.origin, 'POST', '/graphql', headers, viewer);
    expect(res.json).toEqual({ data: { viewer: { actor: 'jwt:ada', scopes: ['read', 'search'] } } });
  });

  test('without the router secret, or with a wrong one: 401 whatever the token', async () => {
    const authorization = `Bearer ${await sign({ scope: 'read' })}`;
    for (const secret of [undefined, 'r0uteR']) {
      const headers = { ...JSON_HEADERS, authorization, ...(secret ? { 'x-router-secret': secret } : {}) };
      const res = await rawRequest(server.origin, 'POST', '/graphql', headers, viewer);
      expect({ status: res.status, code: res.json.errors[0].extensions.code }).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  test('an expired JWT: 401 saying so', async () => {
    const headers = {
      ...JSON_HEADERS,
      'x-router-secret': 'r0uter',
      authorization: `Bearer ${await sign({ scope: 'read' }, Math.floor(Date.now() / 1000) - 60)}`,
    };
    const res = await rawRequest(server.origin, 'POST', '/graphql', headers, viewer);
    expect({ status: res.status, message: res.json.errors[0].message }).toEqual({
      status: 401,
      message: 'The JWT has expired.',
    });
  });
});
