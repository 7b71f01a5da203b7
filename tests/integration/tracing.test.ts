import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { OTLP_EXPORTER_PACKAGE } from '../../src/server/observability';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { facePhoto } from '../support/images';
import { frsProvider, startTestFrs, TEST_FRS } from '../support/frs';
import { startTestServer, type TestServer } from '../support/test-server';

// OpenTelemetry traces on the real server (tracing.exporter: memory): a router's traceparent is continued, the
// mutation's resolver, ledger calls and the FRS call (through the FRS emulator) are spans of that trace, and no
// attribute holds the API key, the vendor credentials or the image of the request.

const { projectId: PROJECT, accessKeyId: AK, secretAccessKey: SK } = TEST_FRS;
const API_KEY = newApiKeySecret();

let emulator: FrsEmulator;
let server: TestServer;

beforeAll(async () => {
  emulator = await startTestFrs();
  server = await startTestServer({
    configure: (c) => {
      c.tracing = { ...c.tracing, enabled: true, exporter: 'memory' };
      c.auth = { keys: [{ id: 'ops', sha256: sha256Hex(API_KEY), scopes: ['read', 'write', 'search', 'admin'] }] };
      c.faceEngine = { workers: 1 };
      c.providers = [{ id: 'local', kind: 'LOCAL' }, frsProvider(emulator, { timeoutMs: 2_000 })];
    },
  });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});

const CREATE_LIBRARY =
  'mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { ... on CreateLibrarySuccess { library { id } } } }';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

async function call(query: string, variables: Record<string, unknown>, traceparent?: string) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${API_KEY}`,
      ...(traceparent ? { traceparent } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

function spans(): ReadableSpan[] {
  return server.facegraph.observability.tracing!.memoryExporter!.getFinishedSpans();
}

/** Spans end when the response has gone out; the server span's end may come a tick after the client has it. */
async function spansWhen(until: (all: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 2_000;
  while (!until(spans()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return spans();
}

const ofTrace = (traceId: string) => (s: ReadableSpan) => s.spanContext().traceId === traceId;
const isServerSpan = (s: ReadableSpan) => s.kind === SpanKind.SERVER;

/** The names of a span and of its ancestors among `all`. */
function lineage(span: ReadableSpan | undefined, all: ReadableSpan[]): string[] {
  const names: string[] = [];
  for (let at = span; at;) {
    names.push(at.name);
    const parent = at.parentSpanContext?.spanId;
    at = all.find((s) => s.spanContext().spanId === parent);
  }
  return names;
}

describe('with tracing on', () => {
  let libraryId: string;
  let image: string;
  const traceId = hex(16);
  const routerSpanId = hex(8);
  let trace: ReadableSpan[];

  beforeAll(async () => {
    const created = await call(CREATE_LIBRARY, { i: { providerId: 'hw', name: 'staff' } });
    libraryId = created.data.createLibrary.library.id;
    image = (await facePhoto('A')).toString('base64');
    const registered = await call(
      'mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }',
      { i: { libraryId, image: { base64: image }, externalImageId: 'badge-1' } },
      `00-${traceId}-${routerSpanId}-01`,
    );
    expect(registered.data).toEqual({ registerFace: { __typename: 'RegisterFaceSuccess' } });
    trace = (await spansWhen((all) => all.some((s) => ofTrace(traceId)(s) && isServerSpan(s)))).filter(
      ofTrace(traceId),
    );
  });

  test("the server span continues the router's trace and is named after the operation", () => {
    const server = trace.find((s) => s.parentSpanContext?.spanId === routerSpanId);
    expect(server).toBeDefined();
    expect(server!.name).toBe('graphql mutation registerFace');
    expect(server!.attributes['http.response.status_code']).toBe(200);
    expect(server!.attributes['facegraph.graphql.root_fields']).toEqual(['registerFace']);
  });

  test('the resolver, the ledger calls and the vendor call are spans of that trace', () => {
    const names = trace.map((s) => s.name);
    const resolver = trace.find((s) => s.name === 'Mutation.registerFace');
    expect(resolver?.attributes['facegraph.graphql.result_type']).toBe('RegisterFaceSuccess');
    expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^ledger /)]));
    const vendor = trace.find((s) => s.name === 'vendor frs.addFaces');
    expect(vendor?.attributes).toMatchObject({
      'facegraph.provider.id': 'hw',
      'facegraph.vendor.operation': 'frs.addFaces',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    // Under the resolver's span, not beside it.
    expect(lineage(vendor, trace)).toEqual([
      'vendor frs.addFaces',
      'Mutation.registerFace',
      'graphql mutation registerFace',
    ]);
  });

  test('a request without traceparent starts a trace of its own', async () => {
    const before = new Set(spans().map((s) => s.spanContext().traceId));
    await call('{ providers { id } }', {});
    const isFresh = (s: ReadableSpan) => !before.has(s.spanContext().traceId) && isServerSpan(s);
    const fresh = (await spansWhen((all) => all.some(isFresh))).find(isFresh);
    expect(fresh?.parentSpanContext).toBeUndefined();
    expect(fresh?.name).toBe('graphql query providers');
  });

  test('a LOCAL registration has a face engine span under its resolver, and counts as an engine job', async () => {
    const local = await call(CREATE_LIBRARY, { i: { providerId: 'local', name: 'visitors' } });
    const localTrace = hex(16);
    const registered = await call(
      'mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }',
      { i: { libraryId: local.data.createLibrary.library.id, image: { base64: image } } },
      `00-${localTrace}-${hex(8)}-01`,
    );
    expect(registered.data).toEqual({ registerFace: { __typename: 'RegisterFaceSuccess' } });
    const all = await spansWhen((found) => found.some((s) => ofTrace(localTrace)(s) && isServerSpan(s)));
    const detection = all.find((s) => ofTrace(localTrace)(s) && s.name === 'face-engine detect');
    expect(detection?.attributes).toMatchObject({ 'facegraph.engine.outcome': 'done', 'facegraph.engine.faces': 1 });
    expect(lineage(detection, all)).toEqual(expect.arrayContaining(['Mutation.registerFace']));
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    expect(metrics).toMatch(/^facegraph_face_engine_jobs_total\{outcome="done"\} 1$/m);
    expect(metrics).toMatch(/^facegraph_face_engine_job_duration_seconds_count\{outcome="done"\} 1$/m);
  });

  test('ledger calls outside a request (readiness probes, start-up) start no trace', () => {
    const ledgerRoots = spans().filter((s) => s.name.startsWith('ledger ') && !s.parentSpanContext);
    expect(ledgerRoots.map((s) => s.name)).toEqual([]);
  });

  test('no span attribute holds the API key, a vendor credential or the image', () => {
    const values = spans().flatMap((s) => [s.name, ...Object.values(s.attributes).map((v) => JSON.stringify(v))]);
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) {
      expect(value).not.toContain(API_KEY);
      expect(value).not.toContain(AK);
      expect(value).not.toContain(SK);
      expect(value).not.toContain(image.slice(0, 64));
      expect(value).not.toContain(PROJECT);
      expect(value).not.toMatch(/https?:\/\//);
    }
  });
});

/** A deployment that exports over OTLP installs the exporter; facegraph itself does not depend on it. */
const otlpInstalled = (() => {
  try {
    require.resolve(OTLP_EXPORTER_PACKAGE);
    return true;
  } catch {
    return false;
  }
})();

(otlpInstalled ? test.skip : test)(
  'tracing.exporter otlp without its package stops the start with what to do',
  async () => {
    await expect(
      startTestServer({
        configure: (c) => {
          c.tracing = { ...c.tracing, enabled: true, exporter: 'otlp' };
          c.providers = [
            { id: 'hw', kind: 'HUAWEI_FRS', region: 'r', projectId: PROJECT, credentials: { token: 't' } },
          ];
        },
      }),
    ).rejects.toThrow(/tracing\.exporter is otlp, but @opentelemetry\/exporter-trace-otlp-http is not installed/);
  },
);
