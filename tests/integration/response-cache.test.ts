import type { ApolloServerPlugin } from '@apollo/server';
import Database from 'better-sqlite3';
import pg from 'pg';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { libraryId as libraryGlobalId } from '../../src/domain/global-id';
import type { PostgresLedger } from '../../src/datasources/ledger/postgres/postgres-ledger';
import type { SqliteLedger } from '../../src/datasources/ledger/sqlite/sqlite-ledger';
import { CACHE_HEADER } from '../../src/server/response-cache';
import { createPostgresSchema } from '../support/ledgers';
import { startTestServer, type TestServer } from '../support/test-server';

// Read answers are kept while the ledger is unchanged, and never outlive a write.

let server: TestServer;
let ledgerFile: string;
let libraryId: string;

const PERSONS =
  `query Persons($id: ID!) { library(id: $id) { name ` +
  `persons(first: 10) { totalCount edges { node { externalId name } } } } }`;

/** Requests that reached Apollo's pipeline (a hit answered before it never does). */
let pipelineRuns = 0;
const countPipelineRuns: ApolloServerPlugin<any> = {
  async requestDidStart() {
    pipelineRuns++;
  },
};

async function post(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  s = server,
) {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: any[]; extensions?: unknown };
  return {
    status: res.status,
    cache: res.headers.get(CACHE_HEADER),
    contentType: res.headers.get('content-type'),
    body,
  };
}

/** The value of one Prometheus series on the server's /metrics (0 when absent). */
async function metric(series: string, s = server): Promise<number> {
  const text = await (await fetch(`${s.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const statements = () => (server.facegraph.ledger as SqliteLedger).queryCount();

async function createPerson(externalId: string, name: string) {
  const { body } = await post(`mutation($input: CreatePersonInput!) { createPerson(input: $input) { __typename } }`, {
    input: { libraryId, externalId, name },
  });
  expect(body.data.createPerson.__typename).toBe('CreatePersonSuccess');
}

beforeAll(async () => {
  server = await startTestServer({
    configure: (c) => void (ledgerFile = c.ledger.url.replace(/^sqlite:/, '')),
    plugins: [countPipelineRuns],
  });
  const library = await server.facegraph.services.libraries.createLibrary({ providerId: 'local', name: 'cached' });
  libraryId = libraryGlobalId(library.providerId, library.name);
  await createPerson('p1', 'Ada');
});
afterAll(async () => server?.close());

test(
  'a repeated read is answered from the cache with the ' + 'same body and no ledger reads but the version check',
  async () => {
    const first = await post(PERSONS, { id: libraryId });
    expect(first.cache).toBe('miss');
    expect(first.body.data.library.persons.totalCount).toBe(1);
    const before = statements();
    const second = await post(PERSONS, { id: libraryId });
    expect(second.cache).toBe('hit');
    expect(second.body).toEqual(first.body);
    expect(statements() - before).toBe(1);
  },
);

test('a hit is answered before the GraphQL pipeline, and counted', async () => {
  const query = `query Hits($id: ID!) { library(id: $id) { name } }`;
  const first = await post(query, { id: libraryId });
  expect(first.cache).toBe('miss');
  const runs = pipelineRuns;
  const hits = await metric('facegraph_response_cache_requests_total{outcome="hit"}');
  const fields = await metric('facegraph_graphql_operations_total{type="query",field="library",outcome="ok"}');
  const second = await post(query, { id: libraryId });
  expect(second.cache).toBe('hit');
  expect(second.body).toEqual(first.body);
  expect(second.contentType).toBe(first.contentType);
  expect(pipelineRuns).toBe(runs);
  expect(await metric('facegraph_response_cache_requests_total{outcome="hit"}')).toBe(hits + 1);
  expect(await metric('facegraph_graphql_operations_total{type="query",field="library",outcome="ok"}')).toBe(
    fields + 1,
  );
  // The Accept header decides the content type Apollo answers with: another one is another entry.
  const graphqlJson = await post(query, { id: libraryId }, { accept: 'application/graphql-response+json' });
  expect(graphqlJson.cache).toBe('miss');
  expect(graphqlJson.contentType).toMatch(/^application\/graphql-response\+json/);
  expect(pipelineRuns).toBe(runs + 1);
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
  const created = await post(
    `mutation { createLibrary(input: { providerId: "local", name: "returning" }) { __typename } }`,
  );
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
  const mutation = await post(
    `mutation { createLibrary(input: { providerId: "local", name: "second" }) { __typename } }`,
  );
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

describe('callers', () => {
  const secrets = {
    reader: newApiKeySecret(),
    alsoReader: newApiKeySecret(),
    limited: newApiKeySecret(),
    admin: newApiKeySecret(),
  };
  let keyed: TestServer;
  const as = (secret: string) => ({ authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    keyed = await startTestServer({
      configure: (c) => {
        c.providers = [
          { id: 'local', kind: 'LOCAL' },
          { id: 'local2', kind: 'LOCAL' },
        ];
        c.auth = {
          keys: [
            { id: 'reader', sha256: sha256Hex(secrets.reader), scopes: ['read'] },
            { id: 'also-reader', sha256: sha256Hex(secrets.alsoReader), scopes: ['read'] },
            { id: 'limited', sha256: sha256Hex(secrets.limited), scopes: ['read'], providers: ['local2'] },
            { id: 'admin', sha256: sha256Hex(secrets.admin), scopes: ['admin', 'read'] },
          ],
        };
      },
    });
  });
  afterAll(async () => keyed?.close());

  test('another access never gets an entry of another; a refused credential gets none', async () => {
    const query = '{ providers { id } }';
    const reader = await post(query, {}, as(secrets.reader), keyed);
    expect(reader.cache).toBe('miss');
    expect((await post(query, {}, as(secrets.reader), keyed)).cache).toBe('hit');
    // The same scopes and providers see the same answers.
    expect((await post(query, {}, as(secrets.alsoReader), keyed)).cache).toBe('hit');
    const limited = await post(query, {}, as(secrets.limited), keyed);
    expect(limited.cache).toBe('miss');
    expect(limited.body.data.providers.map((p: any) => p.id)).toEqual(['local2']);
    expect(reader.body.data.providers.map((p: any) => p.id)).toEqual(['local', 'local2']);
    const admin = await post(query, {}, as(secrets.admin), keyed);
    expect(admin.cache).toBe('miss');
    for (const headers of [{}, as(newApiKeySecret())]) {
      const refused = await post(query, {}, headers, keyed);
      expect(refused.status).toBe(401);
      expect(refused.cache).toBeNull();
    }
  });

  test('a revoked key is refused on the next request, however often it was answered from the cache', async () => {
    const created = await post(
      `mutation { createApiKey(input: { name: "temp", ` +
        `scopes: ["read"] }) { ... on CreateApiKeySuccess { secret apiKey { id } } } }`,
      {},
      as(secrets.admin),
      keyed,
    );
    const { secret, apiKey } = created.body.data.createApiKey;
    const query = '{ providers { id } }';
    await post(query, {}, as(secret), keyed);
    expect((await post(query, {}, as(secret), keyed)).cache).toBe('hit');
    const revoked = await post(
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`,
      { id: apiKey.id },
      as(secrets.admin),
      keyed,
    );
    expect(revoked.body.data.revokeApiKey.__typename).toBe('RevokeApiKeySuccess');
    const after = await post(query, {}, as(secret), keyed);
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0].message).toBe('The API key was revoked.');
  });
});

test(
  'a read waits for its ledger version before it reads anything else, ' + 'and sees what was committed meanwhile',
  async () => {
    // While its version read is held up (ledger_version locked by another transaction), the request must not read
    // the ledger. A person committed with the lock released is in the answer: the version is read after that commit,
    // and the answer kept at that version must hold it.
    const schema = await createPostgresSchema();
    const replica = await startTestServer({ ledger: 'sqlite', configure: (c) => void (c.ledger.url = schema.url) });
    const other = new pg.Client({ connectionString: schema.url });
    await other.connect();
    try {
      const library = await replica.facegraph.services.libraries.createLibrary({
        providerId: 'local',
        name: 'ordered',
      });
      const id = libraryGlobalId(library.providerId, library.name);
      const ledger = replica.facegraph.ledger as PostgresLedger;
      // The replica's version read, waiting for the lock (pg_stat_activity may still show a backend's last statement).
      const versionReadWaiting = async () =>
        (
          await other.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'ledger_version'::regclass AND NOT granted`,
          )
        ).rows[0].n;
      const asked: Record<string, string>[] = [{}, { 'cache-control': 'no-cache' }];
      for (const [round, headers] of asked.entries()) {
        await other.query('BEGIN');
        await other.query('LOCK TABLE ledger_version IN ACCESS EXCLUSIVE MODE');
        const before = ledger.queryCount();
        const answer = post(PERSONS, { id }, headers, replica);
        const deadline = Date.now() + 10_000;
        while ((await versionReadWaiting()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(await versionReadWaiting()).toBe(1);
        // Time for anything that would not wait to run (the library lookup and the page are two more statements).
        await new Promise((r) => setTimeout(r, 300));
        expect(ledger.queryCount() - before).toBe(1);
        await other.query(
          `INSERT INTO persons (library_row_id, external_id, name, user_data, created_at)
         VALUES ($1, $2, 'Late', NULL, now())`,
          [library.rowId, `late-${round}`],
        );
        await other.query('COMMIT');
        const { body, cache } = await answer;
        expect(cache).toBe(round === 0 ? 'miss' : 'bypass');
        expect(body.data.library.persons.edges.map((e: any) => e.node.externalId)).toContain(`late-${round}`);
        // Kept at the version read after that commit: the next request is answered from the cache, the same.
        const again = await post(PERSONS, { id }, {}, replica);
        expect(again.cache).toBe('hit');
        expect(again.body).toEqual(body);
      }
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
      await replica.close();
      await schema.drop();
    }
  },
  120_000,
);

test('two replicas on one PostgreSQL ledger: a library changed on one is seen by the next read there', async () => {
  // A read keeps the library it looked up for the next requests at the same ledger version (loaders.ts): a write
  // on another replica must end that, for cached reads and for the ones that ask for a fresh answer (no-cache)
  // alike.
  const schema = await createPostgresSchema();
  const replicas: TestServer[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      replicas.push(await startTestServer({ ledger: 'sqlite', configure: (c) => void (c.ledger.url = schema.url) }));
    }
    const [a, b] = replicas;
    const library = await a.facegraph.services.libraries.createLibrary({
      providerId: 'local',
      name: 'kept',
      displayName: 'Old',
    });
    const id = libraryGlobalId(library.providerId, library.name);
    const LIBRARY = `query Lib($id: ID!, $f: FaceFilter) {
      library(id: $id) { displayName fieldSchema { name } faces(filter: $f, first: 5) { edges { node { id } } } } }`;
    const fresh = { 'cache-control': 'no-cache' };
    const badge = { fields: { badge: 'x' } };
    for (const headers of [{}, fresh]) {
      const before = await post(LIBRARY, { id }, headers, b);
      expect(before.body.data.library).toMatchObject({ displayName: 'Old', fieldSchema: [] });
      const unknownField = await post(LIBRARY, { id, f: badge }, headers, b);
      expect(unknownField.body.errors?.[0].message).toMatch(/badge/);
    }
    const updated = await post(
      `mutation($input: UpdateLibraryInput!) { updateLibrary(input: $input) { __typename } }`,
      { input: { id, displayName: 'New', addFields: [{ name: 'badge', type: 'STRING' }] } },
      {},
      a,
    );
    expect(updated.body.data.updateLibrary.__typename).toBe('UpdateLibrarySuccess');
    for (const headers of [fresh, {}]) {
      const after = await post(LIBRARY, { id, f: badge }, headers, b);
      expect(after.body.errors).toBeUndefined();
      expect(after.body.data.library).toMatchObject({
        displayName: 'New',
        fieldSchema: [{ name: 'badge' }],
        faces: { edges: [] },
      });
    }
  } finally {
    for (const r of replicas) await r.close();
    await schema.drop();
  }
}, 120_000);

test(
  'two replicas on one PostgreSQL ledger: a write or a ' + 'revocation on one is seen by the next request on the other',
  async () => {
    const schema = await createPostgresSchema();
    const admin = newApiKeySecret();
    const replicas: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await startTestServer({
            ledger: 'sqlite',
            configure: (c) => {
              c.ledger.url = schema.url;
              c.auth = { keys: [{ id: 'admin', sha256: sha256Hex(admin), scopes: ['admin', 'read', 'write'] }] };
            },
          }),
        );
      }
      const [a, b] = replicas;
      const asAdmin = { authorization: `Bearer ${admin}` };
      const library = await a.facegraph.services.libraries.createLibrary({ providerId: 'local', name: 'shared' });
      const id = libraryGlobalId(library.providerId, library.name);
      const created = await post(
        `mutation { createApiKey(input: { name: "reader", ` +
          `scopes: ["read"] }) { ... on CreateApiKeySuccess { secret apiKey { id } } } }`,
        {},
        asAdmin,
        a,
      );
      const { secret, apiKey } = created.body.data.createApiKey;
      const asReader = { authorization: `Bearer ${secret}` };

      expect((await post(PERSONS, { id }, asReader, b)).cache).toBe('miss');
      expect((await post(PERSONS, { id }, asReader, b)).cache).toBe('hit');
      const person = await post(
        `mutation($input: CreatePersonInput!) { createPerson(input: $input) { __typename } }`,
        { input: { libraryId: id, externalId: 'p1', name: 'Ada' } },
        asAdmin,
        a,
      );
      expect(person.body.data.createPerson.__typename).toBe('CreatePersonSuccess');
      const after = await post(PERSONS, { id }, asReader, b);
      expect(after.cache).toBe('miss');
      expect(after.body.data.library.persons.edges.map((e: any) => e.node.name)).toEqual(['Ada']);
      expect((await post(PERSONS, { id }, asReader, b)).cache).toBe('hit');

      const revoked = await post(
        `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`,
        { id: apiKey.id },
        asAdmin,
        a,
      );
      expect(revoked.body.data.revokeApiKey.__typename).toBe('RevokeApiKeySuccess');
      const refused = await post(PERSONS, { id }, asReader, b);
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0].message).toBe('The API key was revoked.');
    } finally {
      for (const r of replicas) await r.close();
      await schema.drop();
    }
  },
  120_000,
);
