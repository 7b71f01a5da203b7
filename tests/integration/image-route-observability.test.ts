import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { faceId as faceGlobalId } from '../../src/domain/global-id';
import { signImageUrl } from '../../src/domain/image-url-signature';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer, type TestServer } from '../support/test-server';
import { sample } from '../support/prometheus';

// The image route seen from /metrics and the traces (tracing.exporter: memory), on the real server over HTTP: each
// GET of a Face.imageUrl link is counted and timed by the status it got (200, 304, 403, 404, 429), each thumbnail
// served by whether the thumbnail cache had it, and each render is a span that holds no link, signature or image.

const SIGNING_KEY = 'test-image-url-signing-key-0123456789';
/** One GET of each kind below, then one over the limit. */
const IMAGES_PER_MINUTE = 6;

let server: TestServer;
let link: URL;
let signature: string;

beforeAll(async () => {
  server = await startTestServer({
    configure: (c) => {
      c.images.urlSigningKey = SIGNING_KEY;
      c.limits.imageRequestsPerMinute = IMAGES_PER_MINUTE;
      c.tracing = { ...c.tracing, enabled: true, exporter: 'memory' };
    },
  });
  const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);
  const libraryId = (
    await op(`mutation { createLibrary(input: { providerId: "local", name: "observed" }) {
      ... on CreateLibrarySuccess { library { id } } } }`)
  ).library.id;
  const registered = await op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { face { id imageUrl(maxSide: 64) } } ${errorsOf('registerFace')} } }`,
    { i: { libraryId, image: { base64: (await facePhoto('A')).toString('base64') } } },
  );
  expect(registered.__typename).toBe('RegisterFaceSuccess');
  link = new URL(registered.face.imageUrl);
  signature = link.searchParams.get('signature')!;
});
afterAll(async () => server?.close());

async function scrape(): Promise<string> {
  const res = await fetch(`${server.origin}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function spans(): ReadableSpan[] {
  return server.facegraph.observability.tracing!.memoryExporter!.getFinishedSpans();
}

test('image GETs move the counters by status, the latency histogram and the thumbnail cache counters', async () => {
  const before = await scrape();
  expect(sample(before, 'facegraph_image_requests_total', { outcome: '200' })).toBeUndefined();

  const first = await fetch(link);
  expect(first.status).toBe(200);
  const etag = first.headers.get('etag')!;
  await first.arrayBuffer();
  const again = await fetch(link);
  expect(again.status).toBe(200);
  await again.arrayBuffer();
  expect((await fetch(link, { headers: { 'if-none-match': etag } })).status).toBe(304);
  const tampered = new URL(link);
  tampered.searchParams.set('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
  expect((await fetch(tampered)).status).toBe(403);
  const claims = {
    faceId: faceGlobalId('local', 'observed', 'no-such-face'),
    maxSide: 64,
    crop: 'NONE' as const,
    expires: Number(link.searchParams.get('expires')),
  };
  const gone = new URLSearchParams({
    maxSide: '64',
    crop: 'NONE',
    expires: String(claims.expires),
    signature: signImageUrl(Buffer.from(SIGNING_KEY), claims),
  });
  expect((await fetch(`${server.origin}/images/faces/${claims.faceId}?${gone}`)).status).toBe(404);
  const statuses = [];
  for (let i = 0; i < 2; i++) statuses.push((await fetch(link, { headers: { 'if-none-match': etag } })).status);
  expect(statuses).toEqual([304, 429]);

  // Counted when each answer has gone out: the scrape may come a moment after the last of them.
  const expected = { '200': 2, '304': 2, '403': 1, '404': 1, '429': 1 };
  let metrics = '';
  for (let tries = 0; tries < 50; tries++) {
    metrics = await scrape();
    if (sample(metrics, 'facegraph_image_requests_total', { outcome: '429' }) === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const [outcome, count] of Object.entries(expected)) {
    const counted = sample(metrics, 'facegraph_image_requests_total', { outcome });
    expect({ outcome, counted }).toEqual({ outcome, counted: count });
    const timed = sample(metrics, 'facegraph_image_request_duration_seconds_count', { outcome });
    expect({ outcome, timed }).toEqual({ outcome, timed: count });
  }
  expect(sample(metrics, 'facegraph_image_request_duration_seconds_sum', { outcome: '200' })).toBeGreaterThan(0);
  expect(sample(metrics, 'facegraph_thumbnail_cache_requests_total', { outcome: 'miss' })).toBe(1);
  expect(sample(metrics, 'facegraph_thumbnail_cache_requests_total', { outcome: 'hit' })).toBe(1);
  // The link's parts are no label.
  expect(metrics).not.toContain(signature);
  expect(metrics).not.toContain(link.pathname);
});

test('each render is a span inside the route span, without the face id, link, signature or image bytes', async () => {
  const renders = spans().filter((s) => s.name === 'face image render');
  expect(renders.map((s) => s.attributes['facegraph.image.thumbnail_cache'])).toEqual(['miss', 'hit']);
  for (const render of renders) {
    expect(render.attributes).toMatchObject({
      'facegraph.image.max_side': 64,
      'facegraph.image.crop': 'NONE',
      'facegraph.image.format': 'jpeg',
      'facegraph.image.found': true,
    });
    expect(render.attributes['facegraph.image.bytes']).toBeGreaterThan(0);
    const parent = spans().find((s) => s.spanContext().spanId === render.parentSpanContext?.spanId);
    expect(parent?.name).toBe('GET /images/faces/:faceId');
    expect(parent?.attributes['http.response.status_code']).toBe(200);
  }
  const routeSpans = spans().filter((s) => s.name === 'GET /images/faces/:faceId');
  expect(routeSpans.map((s) => s.attributes['http.response.status_code'])).toEqual([200, 200, 304, 403, 404, 304, 429]);
  const faceId = link.pathname.split('/').pop()!;
  for (const span of [...renders, ...routeSpans]) {
    for (const value of Object.values(span.attributes)) {
      const text = String(value);
      expect(text).not.toContain(signature);
      expect(text).not.toContain(faceId);
      expect(text.length).toBeLessThan(100);
    }
  }
});
