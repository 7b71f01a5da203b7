import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestContext, type RequestContext } from '../../src/resolvers';
import { createLogger } from '../../src/server/logger';
import { CACHE_HEADER } from '../../src/server/response-cache';
import { rawRequest, type Reply } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// A request that fails at parsing, validation, operation resolution or variable coercion is the client's error.
// Our plugins and hooks (response cache, operation log, formatError masking) must leave Apollo's answer as it is:
// the same status and messages as plain Apollo Server over the same schema, never a 500.

const MARKER = 'marker-in-variables-4f1c';
const TWO_OPERATIONS = 'query A { providers { id } } query B { providers { kind } }';
const LIBRARY = 'query Library($id: ID!) { library(id: $id) { id } }';
const PROVIDERS = '{ providers { id } }';

interface Case {
  name: string;
  method: 'GET' | 'POST';
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'a syntax error', method: 'POST', body: { query: '{ providers { id ' } },
  { name: 'an unknown field', method: 'POST', body: { query: '{ noSuchField }' } },
  { name: 'an unknown operationName', method: 'POST', body: { query: PROVIDERS, operationName: 'Overview' } },
  { name: 'a wrong operationName among several', method: 'POST', body: { query: TWO_OPERATIONS, operationName: 'C' } },
  { name: 'several operations and no operationName', method: 'POST', body: { query: TWO_OPERATIONS } },
  { name: 'a missing required variable', method: 'POST', body: { query: LIBRARY, variables: { other: MARKER } } },
  { name: 'a variable of the wrong type', method: 'POST', body: { query: LIBRARY, variables: { id: { v: MARKER } } } },
  { name: 'variables that are not an object', method: 'POST', body: { query: LIBRARY, variables: [MARKER] } },
  { name: 'an unknown operationName over GET', method: 'GET', query: { query: PROVIDERS, operationName: 'Overview' } },
  { name: 'a mutation over GET', method: 'GET', query: { query: 'mutation { __typename }' } },
];

/** The cache plugin takes another path for each of these. */
const HEADER_VARIANTS: Record<string, string>[] = [
  {},
  { 'cache-control': 'no-cache' },
  { 'cache-control': 'no-store' },
  { 'apollo-federation-include-trace': 'ftv1' },
];

const logLines: string[] = [];
let server: TestServer;
let plainApollo: ApolloServer<RequestContext>;
let plainHttp: http.Server;
let plainUrl: string;

beforeAll(async () => {
  server = await startTestServer({ logTo: { write: (line: string) => void logLines.push(line) } });
  const schema = server.facegraph.schema;
  plainApollo = new ApolloServer<RequestContext>({ schema, includeStacktraceInErrorResponses: false });
  await plainApollo.start();
  const app = express();
  const context = async () => createRequestContext(server.facegraph.services, createLogger('silent'));
  app.use('/graphql', express.json(), expressMiddleware(plainApollo, { context }));
  plainHttp = http.createServer(app);
  await new Promise<void>((resolve) => plainHttp.listen(0, '127.0.0.1', resolve));
  plainUrl = `http://127.0.0.1:${(plainHttp.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (plainHttp ? plainHttp.close(() => resolve()) : resolve()));
  await plainApollo?.stop();
  await server?.close();
});

function send(url: string, request: Case, headers: Record<string, string>): Promise<Reply> {
  const base = { accept: 'application/graphql-response+json, application/json', ...headers };
  if (request.method === 'GET') {
    const search = new URLSearchParams(request.query).toString();
    return rawRequest(url, 'GET', `/graphql?${search}`, { ...base, 'apollo-require-preflight': 'true' });
  }
  const body = JSON.stringify(request.body);
  return rawRequest(url, 'POST', '/graphql', { ...base, 'content-type': 'application/json' }, body);
}

/** What a client sees: the status and each error's message and code. */
function outcome(reply: Reply) {
  const errors = (reply.json?.errors ?? []) as { message: string; extensions?: { code?: string } }[];
  return { status: reply.status, errors: errors.map((e) => ({ message: e.message, code: e.extensions?.code })) };
}

describe.each(HEADER_VARIANTS)('with headers %j', (headers) => {
  const cases = CASES.map((c) => [c.name, c] as const);
  test.each(cases)('%s gets the client error plain Apollo gives', async (_name, request) => {
    const expected = outcome(await send(plainUrl, request, headers));
    const reply = await send(server.url, request, headers);
    expect(expected.status).toBeGreaterThanOrEqual(400);
    expect(expected.status).toBeLessThan(500);
    expect(outcome(reply)).toEqual(expected);
    expect(reply.headers[CACHE_HEADER]).not.toBe('hit');
    expect(reply.text).not.toMatch(/stacktrace|\n\s+at |Internal server error/);
  });
});

test('the unknown operationName of the issue: 400 "Unknown operation named"', async () => {
  const reply = await send(server.url, CASES[2], {});
  expect(outcome(reply)).toEqual({
    status: 400,
    errors: [{ message: 'Unknown operation named "Overview".', code: 'OPERATION_RESOLUTION_FAILURE' }],
  });
});

describe('variables nested 5,000 deep', () => {
  const deep = (depth: number, leaf: string) => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  const post = (url: string, query: string, variablesJson: string, headers: Record<string, string> = {}) =>
    rawRequest(
      url,
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'application/json', ...headers },
      `{"query":${JSON.stringify(query)},"variables":{"deep":${variablesJson}}}`,
    );

  const unusedDeep = 'an unused deep variable (headers %j): the query runs as plain Apollo runs it, never cached';
  test.each(HEADER_VARIANTS)(unusedDeep, async (headers) => {
    const query = '{ providers { id } }';
    const expected = await post(plainUrl, query, deep(5000, '1'), headers);
    const first = await post(server.url, query, deep(5000, '1'), headers);
    const second = await post(server.url, query, deep(5000, '1'), headers);
    expect(expected.status).toBe(200);
    for (const reply of [first, second]) {
      expect(reply.status).toBe(expected.status);
      expect(reply.json.data).toEqual(expected.json.data);
      expect(reply.json.errors).toBeUndefined();
      expect(reply.headers[CACHE_HEADER] ?? 'bypass').toBe('bypass');
    }
  });

  test('a deep value for a declared variable is the client error plain Apollo gives', async () => {
    const query = 'query Library($deep: ID!) { library(id: $deep) { id } }';
    const expected = outcome(await post(plainUrl, query, deep(5000, '1')));
    const reply = await post(server.url, query, deep(5000, '1'));
    expect(expected.status).toBe(400);
    expect(outcome(reply)).toEqual(expected);
  });

  test('variables just deep enough to be cached still are', async () => {
    const query = '{ providers { id } }';
    const first = await post(server.url, query, deep(20, `"${MARKER}"`));
    const second = await post(server.url, query, deep(20, `"${MARKER}"`));
    expect([first.headers[CACHE_HEADER], second.headers[CACHE_HEADER]]).toEqual(['miss', 'hit']);
  });
});

test('client errors are logged as operations, without variables and never as internal errors', () => {
  const entries = logLines.map((l) => JSON.parse(l) as { level: number; msg: string });
  expect(entries.filter((e) => e.msg === 'graphql operation').length).toBeGreaterThan(CASES.length);
  expect(entries.filter((e) => e.level >= 50)).toEqual([]);
  const all = logLines.join('\n');
  expect(all).not.toContain(MARKER);
  expect(all).not.toMatch(/\n\s+at /);
});
