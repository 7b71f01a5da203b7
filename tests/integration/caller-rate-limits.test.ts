import http from 'node:http';
import WebSocket from 'ws';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { startTestServer, type TestServer } from '../support/test-server';

// The per-caller limit on the routes that take no credential of their own: GETs of Face.imageUrl links
// (limits.imageRequestsPerMinute) and WebSocket upgrades at /graphql (one request each of limits.requestsPerMinute).
// The caller is the credential the request carries, else its client address: a second loopback address
// (127.0.0.2, a client bound there) is another caller.

const IMAGES_PER_MINUTE = 3;
const REQUESTS_PER_MINUTE = 3;
const SECRET = newApiKeySecret();
/** A link whose signature is wrong: answered 403 when let in, so the count is all this test needs. */
const BAD_LINK = '/images/faces/RmFjZTpsb2NhbDp4OnkK?maxSide=64&crop=NONE&expires=9999999999&signature=nope';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
}

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer({
    configure: (c) => {
      c.limits.imageRequestsPerMinute = IMAGES_PER_MINUTE;
      c.limits.requestsPerMinute = REQUESTS_PER_MINUTE;
      c.auth = { keys: [{ id: 'reader', sha256: sha256Hex(SECRET), scopes: ['read'] }] };
    },
  });
  port = Number(new URL(server.origin).port);
});
afterAll(async () => server?.close());

/** GET over a fresh connection from `from` (a loopback address of this machine). */
function get(path: string, from: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress: from,
        agent: false,
        headers: { host: `127.0.0.1:${port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket at /graphql from `from`: the socket when accepted, else the refusal's status, headers, body. */
function upgrade(from: string, headers: Record<string, string> = {}): Promise<WebSocket | Reply> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { localAddress: from, headers });
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve(socket));
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        socket.terminate();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined });
      });
    });
    socket.on('error', (e) => reject(e));
  });
}

function expectRateLimited(reply: Reply, perMinute: number, setting: string, whose: string): void {
  expect(reply.status).toBe(429);
  const seconds = Number(reply.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(reply.json.errors[0]).toEqual({
    message:
      `Too many ${setting === 'limits.imageRequestsPerMinute' ? 'image requests' : 'requests'}: at most ` +
      `${perMinute} a minute for ${whose} (${setting}); retry in ${seconds} s.`,
    extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
  });
}

test('image links: the N+1th GET of a minute from one address is 429 with Retry-After; others go on', async () => {
  for (let i = 0; i < IMAGES_PER_MINUTE; i++) {
    const reply = await get(BAD_LINK, '127.0.0.1');
    expect({ status: reply.status, code: reply.json.errors[0].extensions.code }).toEqual({
      status: 403,
      code: 'IMAGE_LINK_INVALID',
    });
  }
  const refused = await get(BAD_LINK, '127.0.0.1');
  expectRateLimited(refused, IMAGES_PER_MINUTE, 'limits.imageRequestsPerMinute', 'this client address');
  expect(refused.headers['cache-control']).toBe('no-store');
  // Another address, and a caller with a credential of its own (counted by key, not by address).
  expect((await get(BAD_LINK, '127.0.0.2')).status).toBe(403);
  expect((await get(BAD_LINK, '127.0.0.1', { authorization: `Bearer ${SECRET}` })).status).toBe(403);
  // A wrong credential is no credential: counted by address, so still refused.
  expect((await get(BAD_LINK, '127.0.0.1', { authorization: 'Bearer fgk_wrong' })).status).toBe(429);
});

test('WebSocket upgrades: over requestsPerMinute from one address, 429 before the handshake', async () => {
  const open: WebSocket[] = [];
  try {
    for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
      const socket = await upgrade('127.0.0.1');
      expect(socket).toBeInstanceOf(WebSocket);
      open.push(socket as WebSocket);
    }
    const refused = await upgrade('127.0.0.1');
    expect(refused).not.toBeInstanceOf(WebSocket);
    expectRateLimited(refused as Reply, REQUESTS_PER_MINUTE, 'limits.requestsPerMinute', 'this client address');
    // Another address, and a client that sends its credential with the upgrade, are other callers.
    const others = [await upgrade('127.0.0.2'), await upgrade('127.0.0.1', { authorization: `Bearer ${SECRET}` })];
    for (const other of others) {
      expect(other).toBeInstanceOf(WebSocket);
      open.push(other as WebSocket);
    }
  } finally {
    for (const socket of open) socket.terminate();
  }
});

test('the image count and the GraphQL count are apart: over its image limit a credential still posts', async () => {
  const withKey = { authorization: `Bearer ${SECRET}` };
  // The first test used one of this credential's image requests.
  for (let i = 1; i < IMAGES_PER_MINUTE; i++) {
    expect((await get(BAD_LINK, '127.0.0.2', withKey)).status).toBe(403);
  }
  const refused = await get(BAD_LINK, '127.0.0.2', withKey);
  expectRateLimited(refused, IMAGES_PER_MINUTE, 'limits.imageRequestsPerMinute', 'this credential');
  // Its upgrade in the test above was one of its requests (the same count as HTTP's).
  for (let i = 1; i < REQUESTS_PER_MINUTE; i++) {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withKey },
      body: JSON.stringify({ query: '{ providers { id } }' }),
    });
    expect(res.status).toBe(200);
  }
  const over = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...withKey },
    body: JSON.stringify({ query: '{ providers { id } }' }),
  });
  expect(over.status).toBe(429);
});
