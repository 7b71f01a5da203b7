import http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { CACHE_HEADER } from '../../src/server/response-cache';
import { rawRequest, type Reply } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// A request the response cache can answer meets everything any request meets first: the Host check, the CORS
// policy, the caller's credential, the per-caller rate limit and the JSON body parser, with the same answers.

const ORIGIN = 'https://app.example';
const PER_MINUTE = 10;
/** One key per test: each has its own rate limit count. */
const secrets = {
  reader: newApiKeySecret(),
  other: newApiKeySecret(),
  json: newApiKeySecret(),
  limited: newApiKeySecret(),
};
const QUERY = JSON.stringify({ query: '{ providers { id } }' });

let server: TestServer;
let pipelineRuns = 0;
const countPipelineRuns: ApolloServerPlugin<any> = {
  async requestDidStart() {
    pipelineRuns++;
  },
};

beforeAll(async () => {
  server = await startTestServer({
    plugins: [countPipelineRuns],
    configure: (c) => {
      c.server.cors.origins = [ORIGIN];
      c.limits.requestsPerMinute = PER_MINUTE;
      const keys = Object.entries(secrets).map(([id, secret]) => ({
        id,
        sha256: sha256Hex(secret),
        scopes: ['read' as const],
      }));
      c.auth = { keys };
    },
  });
});
afterAll(async () => server?.close());

const headersOf = (secret: string, more: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: 'application/json',
  authorization: `Bearer ${secret}`,
  ...more,
});

const post = (headers: Record<string, string>, body: string | Buffer = QUERY) =>
  rawRequest(server.origin, 'POST', '/graphql', headers, body);

/** The same request sent chunked (no Content-Length): Express's own JSON parser reads it. */
function postChunked(headers: Record<string, string>, body: string): Promise<Reply> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const target = { host: url.hostname, port: url.port, method: 'POST', path: '/graphql', headers, agent: false };
    const req = http.request(target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.write(body);
    req.end();
  });
}

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('a hit gets the CORS headers of an allowed origin, and none for another', async () => {
  const miss = await post(headersOf(secrets.reader, { origin: ORIGIN }));
  expect(miss.headers[CACHE_HEADER]).toBe('miss');
  const runs = pipelineRuns;
  const hit = await post(headersOf(secrets.reader, { origin: ORIGIN }));
  expect(hit.headers[CACHE_HEADER]).toBe('hit');
  expect(pipelineRuns).toBe(runs);
  expect(hit.text).toBe(miss.text);
  for (const name of ['access-control-allow-origin', 'vary', 'content-type', 'content-length', 'etag']) {
    expect([name, hit.headers[name]]).toEqual([name, miss.headers[name]]);
  }
  expect(hit.headers['access-control-allow-origin']).toBe(ORIGIN);
  const elsewhere = await post(headersOf(secrets.reader, { origin: 'https://attacker.example' }));
  expect(elsewhere.headers[CACHE_HEADER]).toBe('hit');
  expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
});

test('a Host this server does not answer to is refused before any hit', async () => {
  await post(headersOf(secrets.other));
  expect((await post(headersOf(secrets.other))).headers[CACHE_HEADER]).toBe('hit');
  const rebound = await post(headersOf(secrets.other, { host: 'attacker.example' }));
  expect(rebound.status).toBe(403);
  expect(rebound.headers[CACHE_HEADER]).toBeUndefined();
  expect((rebound.json as any).errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
});

test('bad JSON gets the same 400 as from the JSON parser, a BOM before JSON is accepted as it is', async () => {
  for (const body of ['{"query": ', '"{ providers { id } }"', ' ']) {
    const read = await post(headersOf(secrets.json), body);
    const parsedByExpress = await postChunked(headersOf(secrets.json), body);
    expect(read.status).toBe(400);
    expect(read.json).toEqual({
      errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
    });
    expect([read.status, read.json, read.headers['cache-control']]).toEqual([
      parsedByExpress.status,
      parsedByExpress.json,
      parsedByExpress.headers['cache-control'],
    ]);
  }
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const withBom = await post(headersOf(secrets.json), Buffer.concat([bom, Buffer.from(QUERY)]));
  expect(withBom.status).toBe(200);
  expect((withBom.json as any).data.providers).toBeDefined();
});

/** An operation text of its own, so that its first request is a miss. */
const LIMITED_QUERY = JSON.stringify({ query: '{ providers { id }  }' });

test('the per-caller limit counts a hit once and refuses a would-be hit with 429', async () => {
  const refusals = await metric('facegraph_rate_limit_refusals_total');
  const outcomes: (string | number)[] = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    const reply = await post(headersOf(secrets.limited, { origin: ORIGIN }), LIMITED_QUERY);
    outcomes.push(reply.status === 200 ? String(reply.headers[CACHE_HEADER]) : reply.status);
    if (reply.status === 429) {
      expect((reply.json as any).errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
      expect(reply.headers['access-control-allow-origin']).toBe(ORIGIN);
    }
  }
  // Each of the first PER_MINUTE requests is let in, counted once (the miss that went through Express too).
  expect(outcomes).toEqual(['miss', ...Array<string>(PER_MINUTE - 1).fill('hit'), 429]);
  expect(await metric('facegraph_rate_limit_refusals_total')).toBe(refusals + 1);
});
