import { Writable } from 'node:stream';
import type { Scope } from '../../src/domain/access';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import type { FacegraphConfig } from '../../src/server/config';
import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { rawRequest } from '../support/raw-http';
import { connectedClients, deleteKeysUnder, DisposableRedis, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';
import { startTestServer, type TestServer } from '../support/test-server';

// Two replicas of the real server over HTTP, sharing one Redis and one FRS emulator: what N replicas send a
// vendor, and how many requests a credential makes, is limited across all of them; a lost Redis degrades the
// limits to per replica, and they are shared again once it is back.

const PROJECT = '0123456789abcdef0123456789abcdef';
const AK = 'EMULATORAK000000001';
const SK = 'emulator-secret-key-0001';
const VENDOR_RATE = 5;
const LOAD_MS = 3_000;
const QUERY = JSON.stringify({ query: '{ providers { id } }' });
const ALL_SCOPES: Scope[] = ['read', 'write', 'admin'];

let emulator: FrsEmulator;
const servers: TestServer[] = [];
const prefix = uniqueKeyPrefix();

beforeAll(async () => {
  const credentials = [{ accessKeyId: AK, secretAccessKey: SK }];
  emulator = await startFrsEmulator({ projectId: PROJECT, credentials, akLockout: false });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await emulator?.close();
  await deleteKeysUnder(prefix);
});

interface ReplicaOptions {
  redisUrl?: string;
  configure?: (config: FacegraphConfig) => void;
  logTo?: Writable;
}

/** A server with the FRS emulator as its only provider (no LOCAL face engine to warm up). */
async function startReplica(options: ReplicaOptions = {}): Promise<TestServer> {
  const { redisUrl = TEST_REDIS_URL, configure, logTo } = options;
  const server = await startTestServer({
    logTo,
    configure: (c) => {
      c.providers = [
        {
          id: 'hw',
          kind: 'HUAWEI_FRS',
          region: 'cn-north-4',
          projectId: PROJECT,
          endpoint: emulator.endpoint,
          credentials: { accessKeyId: AK, secretAccessKey: SK },
          rateLimitPerSecond: VENDOR_RATE,
          timeoutMs: 5_000,
        },
      ];
      c.redis = { url: redisUrl, prefix };
      configure?.(c);
    },
  });
  servers.push(server);
  return server;
}

function withApiKeys(perMinute: number, ...secrets: string[]) {
  return (c: FacegraphConfig) => {
    c.limits.requestsPerMinute = perMinute;
    const keys = secrets.map((secret, i) => ({ id: `k${i}`, sha256: sha256Hex(secret), scopes: ALL_SCOPES }));
    c.auth = { keys };
  };
}

const bearer = (secret: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${secret}` });

type Headers = Record<string, string>;

async function createLibrary(server: TestServer, name: string, headers?: Headers): Promise<string> {
  const query = `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
      ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`;
  const result = await operation(server, query, { i: { providerId: 'hw', name } }, headers);
  expect(result.__typename).toBe('CreateLibrarySuccess');
  return result.library.id;
}

async function registerFace(server: TestServer, libraryId: string, externalImageId: string, headers?: Headers) {
  const image = { base64: (await facePhoto('A')).toString('base64') };
  const query = `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { face { id } } ${errorsOf('registerFace')} } }`;
  return operation(server, query, { i: { libraryId, image, externalImageId } }, headers);
}

async function updateFace(server: TestServer, faceId: string, externalImageId: string) {
  const query = `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ${errorsOf('updateFace')} } }`;
  return operation(server, query, { i: { faceId, externalImageId } });
}

async function operation(server: TestServer, query: string, variables: Record<string, unknown>, headers?: Headers) {
  if (!headers) return resultOf(server.url, query, variables);
  const res = await rawRequest(server.origin, 'POST', '/graphql', headers, JSON.stringify({ query, variables }));
  expect(res.status).toBe(200);
  return Object.values(res.json.data as Record<string, any>)[0];
}

async function readyz(server: TestServer) {
  const res = await fetch(`${server.origin}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** The statuses of one request each, sent in turn to the servers given. */
async function statusesOf(secret: string, ...targets: TestServer[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const server of targets) {
    statuses.push((await rawRequest(server.origin, 'POST', '/graphql', bearer(secret), QUERY)).status);
  }
  return statuses;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function memoryLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
      done();
    },
  });
  return { stream, lines, matching: (re: RegExp) => lines.filter((l) => re.test(String(l.msg))) };
}

/** The most requests that `ratePerSecond` with a burst of max(1, rate) lets through between the first and the last. */
function allowedBetween(firstMs: number, lastMs: number, ratePerSecond: number): number {
  return Math.max(1, ratePerSecond) + Math.floor(((lastMs - firstMs) * ratePerSecond) / 1000);
}

describe('two replicas sharing one Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startReplica(), startReplica()]);
  });

  test('readiness reports Redis', async () => {
    expect(await readyz(a)).toEqual({
      status: 200,
      body: { status: 'ready', ledger: 'ok', providers: 'ok', redis: 'ok' },
    });
  });

  test(`together send the vendor at most rateLimitPerSecond (${VENDOR_RATE}/s), not that much each`, async () => {
    const libraries = [await createLibrary(a, 'replica-a'), await createLibrary(b, 'replica-b')];
    const firstOfLoad = emulator.requests.length;
    const deadline = Date.now() + LOAD_MS;
    const answered = [0, 0];
    const failed: unknown[] = [];
    // Three callers per replica, each sending a registration and then an update of it until the deadline.
    const caller = async (replica: number, caller: number) => {
      const server = [a, b][replica];
      for (let n = 0; Date.now() < deadline; n++) {
        const registered = await registerFace(server, libraries[replica], `r${replica}-c${caller}-${n}`);
        if (registered.__typename !== 'RegisterFaceSuccess') failed.push(registered);
        else answered[replica]++;
        if (Date.now() >= deadline || registered.__typename !== 'RegisterFaceSuccess') continue;
        const updated = await updateFace(server, registered.face.id, `r${replica}-c${caller}-${n}-u`);
        if (updated.__typename !== 'UpdateFaceSuccess') failed.push(updated);
        else answered[replica]++;
      }
    };
    await Promise.all([0, 1].flatMap((replica) => [0, 1, 2].map((i) => caller(replica, i))));

    expect(failed).toEqual([]);
    expect(answered.every((n) => n > 0)).toBe(true);
    const arrivals = emulator.requests
      .slice(firstOfLoad)
      .map((r) => r.receivedAtMs)
      .sort((x, y) => x - y);
    // Every stretch of the load stays within what one bucket allows (one more for arrival jitter), ...
    for (let i = 0; i < arrivals.length; i++) {
      for (let j = i; j < arrivals.length; j++) {
        expect({ i, j, requests: j - i + 1 }).toEqual({
          i,
          j,
          requests: Math.min(j - i + 1, allowedBetween(arrivals[i], arrivals[j], VENDOR_RATE) + 1),
        });
      }
    }
    // ... and the callers kept the vendor busy: close to the rate, so the bound above was what held them back.
    const spanMs = arrivals[arrivals.length - 1] - arrivals[0];
    expect(spanMs).toBeGreaterThanOrEqual(LOAD_MS - 500);
    expect(arrivals.length).toBeGreaterThanOrEqual(allowedBetween(0, spanMs, VENDOR_RATE) - 3);
  });

  test('share the requests a minute of one credential: 429 after requestsPerMinute in total', async () => {
    const secret = newApiKeySecret();
    const replica = () => startReplica({ configure: withApiKeys(5, secret) });
    const [c, d] = await Promise.all([replica(), replica()]);

    expect(await statusesOf(secret, c, d, c, d, c, d, c, d)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  test('share the image requests a minute of one address: 429 after imageRequestsPerMinute in total', async () => {
    const replica = () => startReplica({ configure: (c) => void (c.limits.imageRequestsPerMinute = 3) });
    const [e, f] = await Promise.all([replica(), replica()]);
    // A link with a wrong signature (403 when let in): what is counted is the GET, not its answer.
    const link = '/images/faces/RmFjZTpsb2NhbDp4OnkK?maxSide=64&crop=NONE&expires=9999999999&signature=nope';
    const statuses = [];
    for (const server of [e, f, e, f, e]) statuses.push((await rawRequest(server.origin, 'GET', link, {})).status);
    expect(statuses).toEqual([403, 403, 403, 429, 429]);
  });
});

describe('a replica whose Redis goes away', () => {
  let redis: DisposableRedis;
  afterAll(async () => {
    // The servers first: a connection whose Redis died reconnects until closed.
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await redis?.stop();
  });

  test('serves under per-replica limits, warns once, stays ready, and shares limits again once back', async () => {
    redis = await DisposableRedis.start();
    const [first, second] = [newApiKeySecret(), newApiKeySecret()];
    const log = memoryLog();
    const a = await startReplica({ redisUrl: redis.url, configure: withApiKeys(5, first, second), logTo: log.stream });
    const b = await startReplica({ redisUrl: redis.url, configure: withApiKeys(5, first, second) });
    const libraryId = await createLibrary(a, 'redis-lost', bearer(second));
    expect((await readyz(a)).body.redis).toBe('ok');

    await redis.stop();
    await eventually('A notices', async () => (await readyz(a)).body.redis === 'unavailable');
    expect(await readyz(a)).toEqual({
      status: 200,
      body: { status: 'ready', ledger: 'ok', providers: 'ok', redis: 'unavailable' },
    });
    // Each replica counts alone: five a minute at A and five more at B, never unlimited.
    expect(await statusesOf(first, a, a, a, a, a, a, a)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(await statusesOf(first, b, b, b, b, b, b)).toEqual([200, 200, 200, 200, 200, 429]);
    const registered = await registerFace(a, libraryId, 'while-redis-is-away', bearer(second));
    expect(registered.__typename).toBe('RegisterFaceSuccess');
    expect(log.matching(/Redis is unavailable/)).toHaveLength(1);
    expect(log.matching(/Redis is unavailable/)[0]).toMatchObject({ level: 40 });

    await redis.start();
    const connected = async (server: TestServer) => (await readyz(server)).body.redis === 'ok';
    await eventually('both reconnect', async () => (await connected(a)) && (await connected(b)));
    expect(log.matching(/Redis is reachable again/)).toHaveLength(1);
    // The new Redis counts from zero, for both replicas together.
    expect(await statusesOf(first, a, b, a, b, a, b)).toEqual([200, 200, 200, 200, 200, 429]);

    await Promise.all([a.close(), b.close()]);
    expect(await connectedClients(redis.url)).toBe(1); // the one asking
  });
});
