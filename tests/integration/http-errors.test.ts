import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { graphiqlHandlers } from '../../src/server/graphiql';
import { rawRequest, type Reply } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// Requests that fail before GraphQL (bad paths, bodies that are not JSON or too large, unknown routes) get a
// 4xx in the GraphQL-over-HTTP JSON shape or plain text, never Express's HTML page with a stack trace, and the
// log names the failure without the request body or a stack.

const BODY_MARKER = 'body-marker-93be';
const MAX_IMAGE_BYTES = 1000;
/** What app.ts allows a JSON body: base64 of the largest image plus 1 MiB. */
const BODY_LIMIT = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 1024 * 1024;

const logLines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    configure: (config) => void (config.images.maxBytes = MAX_IMAGE_BYTES),
    logTo: { write: (line: string) => void logLines.push(line) },
  });
});
afterAll(async () => server?.close());

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(server.origin, 'GET', path, headers);
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
const postJson = (body: string) => rawRequest(server.origin, 'POST', '/graphql', JSON_HEADERS, body);
const errorBody = (message: unknown, code: string) => ({ errors: [{ message, extensions: { code } }] });

function expectNoStackOrHtml(reply: Reply): void {
  expect(reply.status).toBeLessThan(500);
  expect(reply.headers['content-type'] ?? '').not.toMatch(/html/);
  expect(reply.text).not.toMatch(/<html|<pre>|\n\s+at |URIError|SyntaxError|node_modules|\/work\//i);
}

describe('a GraphiQL asset path that does not decode', () => {
  test.each([
    ['/graphiql/assets/%.js', 'gzip'],
    ['/graphiql/assets/%.js', 'identity'],
    ['/graphiql/assets/%E0%A4%A.css', 'gzip'],
    ['/graphiql/assets/%E0%A4%A.css', 'identity'],
  ])('GET %s (Accept-Encoding: %s) is a 400 or 404 without HTML or stack', async (path, encoding) => {
    const reply = await get(path, { 'accept-encoding': encoding, accept: 'text/html,*/*' });
    expectNoStackOrHtml(reply);
    expect([400, 404]).toContain(reply.status);
  });
});

test('GraphiQL not built: a 503 that says what to run and names no path of the machine', async () => {
  const missing = path.join(os.tmpdir(), 'facegraph-graphiql-never-built');
  const app = express().use(graphiqlHandlers(missing));
  const plain = http.createServer(app);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    const origin = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const reply = await rawRequest(origin, 'GET', '/graphql', { accept: 'text/html' });
    expect(reply.status).toBe(503);
    expect(reply.text).toContain('npm run build');
    expect(reply.text).not.toContain(os.tmpdir());
  } finally {
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  }
});

describe('bodies Apollo never sees', () => {
  test('a body that is not JSON: 400 in the GraphQL-over-HTTP shape, without the body', async () => {
    const reply = await postJson(`{"query": "{ providers { id } }", "${BODY_MARKER}`);
    expectNoStackOrHtml(reply);
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json).toEqual(errorBody(expect.any(String), 'BAD_REQUEST'));
    expect(reply.text).not.toContain(BODY_MARKER);
  });

  test('a body over the limit: 413 in the GraphQL-over-HTTP shape', async () => {
    const padding = 'x'.repeat(BODY_LIMIT);
    const reply = await postJson(JSON.stringify({ query: '{ providers { id } }', variables: { padding } }));
    expectNoStackOrHtml(reply);
    expect(reply.status).toBe(413);
    expect(reply.json).toEqual(errorBody(expect.any(String), 'PAYLOAD_TOO_LARGE'));
  });
});

describe('routes', () => {
  test('GET / sends a browser to /graphql', async () => {
    const reply = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe('/graphql');
  });

  test('GET / tells any other client where the GraphQL endpoint is', async () => {
    const reply = await get('/', { accept: 'application/json' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ message: expect.stringContaining('/graphql'), graphql: '/graphql' });
  });

  test('GET / does not send a browser to GraphiQL when it is off', async () => {
    const withoutGraphiql = await startTestServer({ configure: (config) => void (config.server.graphiql = false) });
    try {
      const reply = await rawRequest(withoutGraphiql.origin, 'GET', '/', { accept: 'text/html' });
      expect({ status: reply.status, body: reply.json }).toEqual({
        status: 200,
        body: { message: expect.stringContaining('/graphql'), graphql: '/graphql' },
      });
    } finally {
      await withoutGraphiql.close();
    }
  });

  test('an unknown path is a JSON 404 that names /graphql', async () => {
    const reply = await get('/no-such-page', { accept: 'text/html' });
    expectNoStackOrHtml(reply);
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual(errorBody(expect.stringContaining('/graphql'), 'NOT_FOUND'));
  });
});

test('the log names each failure without the body or a stack', () => {
  const all = logLines.join('\n');
  expect(all).not.toContain(BODY_MARKER);
  expect(all).not.toMatch(/\\n\s+at |"stack"/);
  const failures = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request failed before GraphQL');
  expect(failures.map((l) => l.status).sort()).toEqual([400, 413]);
});
