import http from 'node:http';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { startTestServer, type TestServer } from '../support/test-server';

// 20,000 generated and mutated requests against the real server: none may get a 5xx, an HTML error page, a stack
// trace or a machine path, and the log may hold neither a secret nor anything from a request body. Seeded, so a
// failure repeats; bounded in count and time; loopback only.

const REQUESTS = 20_000;
const CONCURRENCY = 16;
const TIME_BUDGET_MS = 150_000;
/** In every variable value and string argument the generator writes: it must never reach the log. */
const MARKER = 'BODYMARK7f3a';

const secret = newApiKeySecret();
let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({
    logTo: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
    configure: (config) => {
      config.auth = {
        keys: [{ id: 'fuzzer', sha256: sha256Hex(secret), scopes: ['read', 'write', 'search', 'admin'] }],
      };
      config.limits.requestsPerMinute = 1_000_000;
    },
  });
  await server.facegraph.services.libraries.createLibrary({
    providerId: 'local',
    name: 'fuzz',
    fields: [{ name: 'dept', type: 'STRING' }],
  });
}, 60_000);
afterAll(async () => server?.close());

/** A small deterministic generator (mulberry32), so that a failing run can be repeated. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

const LIBRARY = Buffer.from(JSON.stringify([1, 'L', 'local', 'fuzz'])).toString('base64url');
const SEEDS: { query: string; variables?: Record<string, unknown>; operationName?: string; extensions?: unknown }[] = [
  { query: '{ providers { id kind capabilities { registerFace } } }' },
  {
    query:
      `query Q($id: ID!) { library(id: $id) { name faceCount ` +
      `faces(first: 5) { totalCount edges { node { id } } } } }`,
    variables: { id: LIBRARY },
  },
  {
    query: `query($id: ID!, $v: JSON) { library(id: $id) { faces(filter: { fields: $v }) { totalCount } } }`,
    variables: { id: LIBRARY, v: { dept: MARKER } },
  },
  {
    query: `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ... on Error { message } } }`,
    variables: { i: { libraryId: LIBRARY, image: { base64: `${MARKER}AAAA` }, fields: { dept: MARKER } } },
  },
  {
    query: `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename } }`,
    variables: { i: { libraryId: LIBRARY, name: MARKER } },
  },
  {
    query:
      `mutation { deleteFaces(libraryId: "${LIBRARY}", ` +
      `filter: { externalImageId: "${MARKER}" }, dryRun: true) { __typename } }`,
  },
  {
    query: `query($img: ImageInput!) { searchFaces(libraryId: "${LIBRARY}", image: $img) { __typename } }`,
    variables: { img: { url: `http://127.0.0.1:1/${MARKER}` } },
  },
  {
    query:
      `{ _entities(representations: [{ __typename: "Face", ` +
      `id: "${MARKER}" }, { __typename: "Nope" }]) { __typename } }`,
  },
  { query: `{ _service { sdl } }` },
  { query: `subscription { faceEvents { faceId } }` },
  { query: `{ viewer { actor } apiKeys { totalCount } auditLog(first: 3) { totalCount } }` },
  { query: `query A { providers { id } } query B { viewer { actor } }`, operationName: 'B' },
  {
    query: '{ providers { id } }',
    extensions: { persistedQuery: { version: 1, sha256Hash: `${MARKER}0`.padEnd(64, '0') } },
  },
  { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
];

const PATHS = [
  '/graphql',
  '/graphql',
  '/graphql',
  '/graphql/',
  '/GRAPHQL',
  '/graphql/x',
  '/',
  '/healthz',
  '/readyz',
  '/graphiql/assets/%.js',
  '/graphiql/assets/..%2f..%2fpackage.json',
  '/%',
  '/nope',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/graphql-response+json',
  'multipart/form-data; boundary=x',
  '',
];

interface Generated {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function generate(rng: ReturnType<typeof random>): Generated {
  const seed = rng.pick(SEEDS);
  let text = JSON.stringify(
    rng.next() < 0.1 ? { ...seed, variables: rng.pick([[], 'x', 3, null, { deep: nest(rng.int(3000)) }]) } : seed,
  );
  // Mutations of the JSON text: each may make it invalid, strange, or a different valid request.
  const mutations = rng.int(4);
  for (let i = 0; i < mutations; i++) text = mutateText(text, rng);
  let body: Buffer = Buffer.from(text, 'utf8');
  if (rng.next() < 0.05) body = Buffer.concat([body, Buffer.from([0xff, 0xfe, 0x80])]);
  const headers: Record<string, string> = {};
  const contentType = rng.pick(CONTENT_TYPES);
  if (contentType) headers['content-type'] = contentType;
  const auth = rng.next();
  if (auth < 0.7) headers.authorization = `Bearer ${secret}`;
  else if (auth < 0.8) headers.authorization = `Bearer ${newApiKeySecret()}`;
  else if (auth < 0.85)
    headers.authorization = rng.pick([
      'Bearer',
      'Basic x',
      `Bearer ${secret}${secret}`,
      'bearer  a.b.c',
      `Bearer ${MARKER}.e30.`,
    ]);
  if (rng.next() < 0.08) {
    const encoding = rng.pick(['gzip', 'deflate', 'br', 'identity', 'x-unknown']);
    headers['content-encoding'] = encoding;
    if (encoding === 'gzip' && rng.next() < 0.5) body = gzipSync(body);
  }
  if (rng.next() < 0.03) headers.accept = 'text/html';
  if (rng.next() < 0.03) headers['apollo-require-preflight'] = 'true';
  const method = rng.next() < 0.85 ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  let path = rng.next() < 0.9 ? '/graphql' : rng.pick(PATHS);
  if (method === 'GET' && path === '/graphql' && rng.next() < 0.7) {
    path += `?query=${encodeURIComponent(seed.query)}${rng.next() < 0.3 ? '&variables=%7B' : ''}`;
  }
  return { method, path, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body };
}

function nest(depth: number): unknown {
  let value: unknown = MARKER;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function mutateText(text: string, rng: ReturnType<typeof random>): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + rng.int(8));
    case 2:
      return (
        text.slice(0, at) +
        rng.pick(['{', '}', '"', '\\', '[', ']', ',', ':', 'null', '\u0000', '\ud800', '💥', '\\u0000']) +
        text.slice(at)
      );
    case 3:
      return text.slice(0, at) + text.slice(at).replace(/\d/, String(rng.int(1e9)));
    case 4:
      return text.replace(/"query"/, rng.pick(['"query"', '"Query"', '"extensions"', '"query2"']));
    case 5:
      return text.replace(/"(first)":?\s*\d*/, `"first":${rng.pick(['-1', '101', '1e308', '"x"'])}`);
    default:
      return `${text.slice(0, at)}${'a'.repeat(rng.int(2000))}${text.slice(at)}`;
  }
}

interface Outcome {
  status: number;
  contentType: string;
  body: string;
}

function send(agent: http.Agent, port: number, request: Generated): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const headers = request.body
      ? { ...request.headers, 'content-length': String(request.body.length) }
      : request.headers;
    const req = http.request(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.end(request.body);
  });
}

test(
  `${REQUESTS} generated and mutated requests: no 5xx, no HTML error page, no stack, nothing of a body in the log`,
  async () => {
    const port = Number(new URL(server.origin).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const rng = random(20261205);
    const deadline = Date.now() + TIME_BUDGET_MS;
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const lane = async () => {
      while (sent < REQUESTS && Date.now() < deadline && problems.length < 20) {
        const request = generate(rng);
        sent++;
        let outcome: Outcome;
        try {
          outcome = await send(agent, port, request);
        } catch (e) {
          problems.push(`${request.method} ${request.path}: ${(e as Error).message}`);
          continue;
        }
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        const shown =
          `${request.method} ${request.path.slice(0, 60)} ` + `-> ${outcome.status} ${outcome.body.slice(0, 160)}`;
        if (outcome.status >= 500) problems.push(`5xx: ${shown}`);
        if (outcome.status >= 400 && /text\/html/.test(outcome.contentType)) problems.push(`HTML error page: ${shown}`);
        if (/\n\s+at \S+ \(|node:internal|\/node_modules\//.test(outcome.body))
          problems.push(`stack or path: ${shown}`);
        if (outcome.body.includes(process.cwd())) problems.push(`machine path: ${shown}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    agent.destroy();

    const log = logLines.join('');
    if (log.includes(secret)) problems.push('the log holds the API key');
    if (log.includes(MARKER))
      problems.push(
        `the log holds request body ` +
          `content: ${log.slice(Math.max(0, log.indexOf(MARKER) - 200), log.indexOf(MARKER) + 50)}`,
      );
    const errorLines = logLines.filter((line) => /"level":(50|60)/.test(line));
    if (errorLines.length > 0) problems.push(`client mistakes logged as errors: ${errorLines.slice(0, 3).join('')}`);

    expect({ problems, sent }).toEqual({ problems: [], sent: REQUESTS });
    // The run exercised what it is meant to: refusals of every kind, and answers.
    for (const status of [200, 400, 401, 404]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  },
  TIME_BUDGET_MS + 60_000,
);
