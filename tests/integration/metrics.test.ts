import type { FrsEmulator } from '../emulators/huawei-frs';
import { rawRequest } from '../support/raw-http';
import { frsProvider, startTestFrs, TEST_FRS } from '../support/frs';
import { gql, startTestServer, type TestServer } from '../support/test-server';
import { sample } from '../support/prometheus';

// GET /metrics on the real server: after a query (twice, so the response cache answers once), a mutation that
// fails, a HUAWEI_FRS call through the FRS emulator and a request over the per-credential limit, the Prometheus
// exposition counts each of them under the labels it must have.

const { projectId: PROJECT, accessKeyId: AK, secretAccessKey: SK } = TEST_FRS;
const REQUESTS_PER_MINUTE = 6;

let emulator: FrsEmulator;
let server: TestServer;

beforeAll(async () => {
  emulator = await startTestFrs();
  server = await startTestServer({
    configure: (c) => {
      c.limits.requestsPerMinute = REQUESTS_PER_MINUTE;
      c.providers = [frsProvider(emulator, { timeoutMs: 1_000 })];
    },
  });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${server.origin}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics', () => {
  let metrics: string;

  beforeAll(async () => {
    const providers = '{ providers { id kind } }';
    expect((await gql(server.url, providers)).data).toEqual({ providers: [{ id: 'hw', kind: 'HUAWEI_FRS' }] });
    await gql(server.url, providers);
    const unknownProvider = await gql(
      server.url,
      'mutation { createLibrary(input: { providerId: "nope", name: "staff" }) { __typename } }',
    );
    expect(unknownProvider.data).toEqual({ createLibrary: { __typename: 'NotFoundError' } });
    const created = await gql(
      server.url,
      'mutation { made: createLibrary(input: { providerId: "hw", name: "staff" }) { __typename } }',
    );
    expect(created.data).toEqual({ made: { __typename: 'CreateLibrarySuccess' } });
    expect(emulator.state.getFaceSet('staff')).toBeDefined();
    await gql(server.url, providers);
    expect((await gql(server.url, '{ providers { id ')).errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: providers }),
    });
    expect(refused.status).toBe(429);
    metrics = await scrape();
  });

  test('counts GraphQL root fields by operation type, field and outcome (the union member for mutations)', () => {
    const operations = 'facegraph_graphql_operations_total';
    expect(sample(metrics, operations, { type: 'query', field: 'providers', outcome: 'ok' })).toBe(3);
    expect(sample(metrics, operations, { type: 'mutation', field: 'createLibrary', outcome: 'NotFoundError' })).toBe(1);
    expect(
      sample(metrics, operations, { type: 'mutation', field: 'createLibrary', outcome: 'CreateLibrarySuccess' }),
    ).toBe(1);
    const latency = 'facegraph_graphql_operation_duration_seconds_count';
    expect(sample(metrics, latency, { type: 'mutation', field: 'createLibrary' })).toBe(2);
    const unparsed = { type: '(none)', field: '(none)', outcome: 'GRAPHQL_PARSE_FAILED' };
    expect(sample(metrics, operations, unparsed)).toBe(1);
    // Aliases are the client's words: only schema field names become labels.
    expect(metrics).not.toMatch(/field="made"/);
  });

  test('counts vendor calls by provider, operation and status, and their rate-limit waits', () => {
    const createFaceSet = { provider: 'hw', operation: 'frs.createFaceSet', status: '200' };
    expect(sample(metrics, 'facegraph_vendor_calls_total', createFaceSet)).toBe(1);
    expect(
      sample(metrics, 'facegraph_vendor_call_duration_seconds_count', {
        provider: 'hw',
        operation: 'frs.createFaceSet',
      }),
    ).toBe(1);
    expect(sample(metrics, 'facegraph_vendor_rate_limit_wait_seconds_count', { provider: 'hw' })).toBe(1);
  });

  test('counts requests refused over limits.requestsPerMinute', () => {
    expect(sample(metrics, 'facegraph_rate_limit_refusals_total')).toBe(1);
  });

  test('counts what the response cache did', () => {
    // The first providers query fills the cache, the second is a hit, the third follows a ledger write.
    expect(sample(metrics, 'facegraph_response_cache_requests_total', { outcome: 'miss' })).toBe(2);
    expect(sample(metrics, 'facegraph_response_cache_requests_total', { outcome: 'hit' })).toBe(1);
  });

  test('reports ledger calls and statements, the face engine queue, and the process', () => {
    expect(sample(metrics, 'facegraph_ledger_calls_total', { method: 'insertLibrary', outcome: 'ok' })).toBe(1);
    expect(sample(metrics, 'facegraph_ledger_statements')).toBeGreaterThan(0);
    expect(sample(metrics, 'facegraph_face_engine_queue_depth')).toBe(0);
    expect(sample(metrics, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(metrics, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  test('holds no secret and no request text in any label', () => {
    expect(metrics).not.toContain(AK);
    expect(metrics).not.toContain(SK);
    expect(metrics).not.toContain(PROJECT);
    expect(metrics).not.toContain('staff');
    expect(metrics).not.toContain('nope');
  });

  test('answers only to allowed Host names, like /graphql', async () => {
    const rebound = await rawRequest(server.origin, 'GET', '/metrics', { host: 'attacker.example' });
    expect(rebound.status).toBe(403);
    expect(rebound.json.errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
    expect((await rawRequest(server.origin, 'GET', '/metrics', { host: 'localhost' })).status).toBe(200);
  });
});

test('metrics.enabled: false serves no /metrics', async () => {
  const quiet = await startTestServer({
    configure: (c) => {
      c.metrics.enabled = false;
      c.providers = [
        {
          id: 'hw',
          kind: 'HUAWEI_FRS',
          region: 'r',
          projectId: PROJECT,
          endpoint: emulator.endpoint,
          credentials: { token: 't' },
        },
      ];
    },
  });
  try {
    expect((await fetch(`${quiet.origin}/metrics`)).status).toBe(404);
  } finally {
    await quiet.close();
  }
});
