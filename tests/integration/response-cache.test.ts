import Database from 'better-sqlite3';
import { libraryId as libraryGlobalId } from '../../src/domain/global-id';
import type { SqliteLedger } from '../../src/datasources/ledger/sqlite/sqlite-ledger';
import { CACHE_HEADER } from '../../src/server/response-cache';
import { startTestServer, type TestServer } from '../support/test-server';

// Read answers are kept while the ledger is unchanged, and never outlive a write.

let server: TestServer;
let ledgerFile: string;
let libraryId: string;

const PERSONS = `query Persons($id: ID!) { library(id: $id) { name persons(first: 10) { totalCount edges { node { externalId name } } } } }`;

async function post(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}, s = server) {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { cache: res.headers.get(CACHE_HEADER), body: (await res.json()) as { data?: any; errors?: unknown[]; extensions?: unknown } };
}

const statements = () => (server.facegraph.ledger as SqliteLedger).queryCount();

async function createPerson(externalId: string, name: string) {
  const { body } = await post(
    `mutation($input: CreatePersonInput!) { createPerson(input: $input) { __typename } }`,
    { input: { libraryId, externalId, name } },
  );
  expect(body.data.createPerson.__typename).toBe('CreatePersonSuccess');
}

beforeAll(async () => {
  server = await startTestServer({ configure: (c) => void (ledgerFile = c.ledger.url.replace(/^sqlite:/, '')) });
  const library = await server.facegraph.services.libraries.createLibrary({ providerId: 'local', name: 'cached' });
  libraryId = libraryGlobalId(library.providerId, library.name);
  await createPerson('p1', 'Ada');
});
afterAll(async () => server?.close());

test('a repeated read is answered from the cache with the same body and no ledger reads but the version check', async () => {
  const first = await post(PERSONS, { id: libraryId });
  expect(first.cache).toBe('miss');
  expect(first.body.data.library.persons.totalCount).toBe(1);
  const before = statements();
  const second = await post(PERSONS, { id: libraryId });
  expect(second.cache).toBe('hit');
  expect(second.body).toEqual(first.body);
  expect(statements() - before).toBe(1);
});

test('other variables or another operation text are other entries', async () => {
  await post(PERSONS, { id: libraryId });
  expect((await post(PERSONS, { id: libraryGlobalId('local', 'nope') })).cache).toBe('miss');
  expect((await post(`${PERSONS} `, { id: libraryId })).cache).toBe('miss');
});

test('a mutation through the API is seen by the next read', async () => {
  await post(PERSONS, { id: libraryId });
  expect((await post(PERSONS, { id: libraryId })).cache).toBe('hit');
  await createPerson('p2', 'Grace');
  const after = await post(PERSONS, { id: libraryId });
  expect(after.cache).toBe('miss');
  expect(after.body.data.library.persons.edges.map((e: any) => e.node.name)).toEqual(['Ada', 'Grace']);
});

test('a write made by an INSERT ... RETURNING (createLibrary) is seen by the next read', async () => {
  const LIBRARIES = `{ libraries(first: 100) { edges { node { name } } } }`;
  await post(LIBRARIES);
  expect((await post(LIBRARIES)).cache).toBe('hit');
  const created = await post(`mutation { createLibrary(input: { providerId: "local", name: "returning" }) { __typename } }`);
  expect(created.body.data.createLibrary.__typename).toBe('CreateLibrarySuccess');
  const after = await post(LIBRARIES);
  expect(after.cache).toBe('miss');
  expect(after.body.data.libraries.edges.map((e: any) => e.node.name)).toContain('returning');
});

test('a write by another process to the ledger file is seen by the next read', async () => {
  await post(PERSONS, { id: libraryId });
  expect((await post(PERSONS, { id: libraryId })).cache).toBe('hit');
  const other = new Database(ledgerFile);
  try {
    other.prepare(`UPDATE persons SET name = 'Ada L.' WHERE external_id = 'p1'`).run();
  } finally {
    other.close();
  }
  const after = await post(PERSONS, { id: libraryId });
  expect(after.cache).toBe('miss');
  expect(after.body.data.library.persons.edges[0].node.name).toBe('Ada L.');
});

test('mutations, searchFaces, answers with errors and traced requests are never cached', async () => {
  const mutation = await post(`mutation { createLibrary(input: { providerId: "local", name: "second" }) { __typename } }`);
  expect(mutation.cache).toBeNull();

  const search = `query($id: ID!) { searchFaces(libraryId: $id, image: { base64: "aGVsbG8=" }) { __typename } }`;
  for (let i = 0; i < 2; i++) expect((await post(search, { id: 'not-an-id' })).cache).toBeNull();

  const failing = `query { library(id: "not-an-id") { name } }`;
  const first = await post(failing);
  expect(first.body.errors).toBeDefined();
  expect((await post(failing)).cache).toBe('miss');

  for (let i = 0; i < 2; i++) {
    const traced = await post(PERSONS, { id: libraryId }, { 'apollo-federation-include-trace': 'ftv1' });
    expect(traced.cache).toBeNull();
    expect(traced.body.extensions).toMatchObject({ ftv1: expect.any(String) });
  }
});

test('Cache-Control: no-cache gets a fresh answer that is then kept, no-store one that is not', async () => {
  await post(PERSONS, { id: libraryId });
  expect((await post(PERSONS, { id: libraryId })).cache).toBe('hit');
  const before = statements();
  const fresh = await post(PERSONS, { id: libraryId }, { 'cache-control': 'no-cache' });
  expect(fresh.cache).toBe('bypass');
  expect(statements() - before).toBeGreaterThan(1);
  expect((await post(PERSONS, { id: libraryId })).cache).toBe('hit');

  const query = `query Other($id: ID!) { library(id: $id) { id } }`;
  expect((await post(query, { id: libraryId }, { 'cache-control': 'max-age=0, no-store' })).cache).toBe('bypass');
  expect((await post(query, { id: libraryId })).cache).toBe('miss');
});

test('responseCacheBytes: 0 turns the cache off', async () => {
  const plain = await startTestServer({ configure: (c) => void (c.server.responseCacheBytes = 0) });
  try {
    for (let i = 0; i < 2; i++) expect((await post('{ providers { id } }', {}, {}, plain)).cache).toBeNull();
  } finally {
    await plain.close();
  }
});
