import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { libraryId as libraryGlobalId, personId as personGlobalId } from '../../src/domain/global-id';
import type { Scope } from '../../src/domain/access';
import { startTestServer, type TestServer } from '../support/test-server';

// Who may do what, over real HTTP against a real ledger: credentials, scopes, provider limits, the audit log.

const SECRETS = {
  reader: newApiKeySecret(),
  searcher: newApiKeySecret(),
  writer: newApiKeySecret(),
  admin: newApiKeySecret(),
  limited: newApiKeySecret(),
};
const KEY_SCOPES: Record<Exclude<keyof typeof SECRETS, 'limited'>, Scope> = {
  reader: 'read',
  searcher: 'search',
  writer: 'write',
  admin: 'admin',
};

let server: TestServer;
const logLines: string[] = [];
const ids = { library: '', library2: '', person: '', face: '' };

async function call(
  secret: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

beforeAll(async () => {
  server = await startTestServer({
    logTo: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
    configure: (config) => {
      config.providers = [
        { id: 'local', kind: 'LOCAL' },
        { id: 'local2', kind: 'LOCAL' },
      ];
      config.auth = {
        keys: [
          ...Object.entries(KEY_SCOPES).map(([id, scope]) => ({
            id,
            sha256: sha256Hex(SECRETS[id as keyof typeof KEY_SCOPES]),
            scopes: [scope],
          })),
          {
            id: 'limited',
            sha256: sha256Hex(SECRETS.limited),
            scopes: ['read', 'write', 'search', 'admin'],
            providers: ['local2'],
          },
        ],
      };
    },
  });
  const { services } = server.facegraph;
  const library = await services.libraries.createLibrary({
    providerId: 'local',
    name: 'staff',
    fields: [{ name: 'dept', type: 'STRING' }],
  });
  const library2 = await services.libraries.createLibrary({ providerId: 'local2', name: 'guests' });
  ids.library = libraryGlobalId(library.providerId, library.name);
  ids.library2 = libraryGlobalId(library2.providerId, library2.name);
  const person = await services.libraries.createPerson({ libraryId: ids.library, externalId: 'p1', name: 'Ada' });
  ids.person = personGlobalId('local', 'staff', person.externalId);
  ids.face = Buffer.from(JSON.stringify([1, 'F', 'local', 'staff', 'no-such-face'])).toString('base64url');
}, 60_000);
afterAll(async () => server?.close());

/** One call per operation of the API, each needing exactly one scope (or none: viewer). */
const OPERATIONS: {
  name: string;
  scope: Scope | null;
  query: () => string;
  variables?: () => Record<string, unknown>;
}[] = [
  { name: 'viewer', scope: null, query: () => `{ viewer { actor scopes } }` },
  { name: 'providers', scope: 'read', query: () => `{ providers { id } }` },
  { name: 'provider', scope: 'read', query: () => `{ provider(id: "local") { id } }` },
  { name: 'libraries', scope: 'read', query: () => `{ libraries { totalCount } }` },
  {
    name: 'library',
    scope: 'read',
    query: () => `query($id: ID!) { library(id: $id) { name } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'person',
    scope: 'read',
    query: () => `query($id: ID!) { person(id: $id) { name } }`,
    variables: () => ({ id: ids.person }),
  },
  {
    name: 'face',
    scope: 'read',
    query: () => `query($id: ID!) { face(id: $id) { id } }`,
    variables: () => ({ id: ids.face }),
  },
  {
    name: 'node',
    scope: 'read',
    query: () => `query($id: ID!) { node(id: $id) { id } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'searchFaces',
    scope: 'search',
    query: () => `query($id: ID!) { searchFaces(libraryId: $id, image: { base64: "not base64!" }) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'registerFace',
    scope: 'write',
    query: () =>
      `mutation($id: ID!) { registerFace(input: { libraryId: $id, image: { base64: "not base64!" } }) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'updateFace',
    scope: 'write',
    query: () => `mutation($id: ID!) { updateFace(input: { faceId: $id, userData: "x" }) { __typename } }`,
    variables: () => ({ id: ids.face }),
  },
  {
    name: 'deleteFaces',
    scope: 'write',
    query: () =>
      `mutation($id: ID!) { deleteFaces(libraryId: $id, ` +
      `filter: { fields: { dept: "x" } }, dryRun: true) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'createPerson',
    scope: 'write',
    query: () => `mutation($id: ID!) { createPerson(input: { libraryId: $id, externalId: "p1" }) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'updatePerson',
    scope: 'write',
    query: () => `mutation($id: ID!) { updatePerson(input: { personId: $id, name: "Ada" }) { __typename } }`,
    variables: () => ({ id: ids.person }),
  },
  {
    name: 'deletePerson',
    scope: 'write',
    query: () => `mutation { deletePerson(id: "${personGlobalId('local', 'staff', 'nobody')}") { __typename } }`,
  },
  {
    name: 'syncLibrary',
    scope: 'write',
    query: () => `mutation($id: ID!) { syncLibrary(id: $id) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'createLibrary',
    scope: 'admin',
    query: () => `mutation { createLibrary(input: { providerId: "local", name: "staff" }) { __typename } }`,
  },
  {
    name: 'updateLibrary',
    scope: 'admin',
    query: () => `mutation($id: ID!) { updateLibrary(input: { id: $id, displayName: "Staff" }) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  {
    name: 'deleteLibrary',
    scope: 'admin',
    query: () => `mutation { deleteLibrary(id: "${libraryGlobalId('local', 'nothing-here')}") { __typename } }`,
  },
  {
    name: 'trainLibrary',
    scope: 'admin',
    query: () => `mutation($id: ID!) { trainLibrary(id: $id) { __typename } }`,
    variables: () => ({ id: ids.library }),
  },
  { name: 'apiKeys', scope: 'admin', query: () => `{ apiKeys { totalCount } }` },
  {
    name: 'createApiKey',
    scope: 'admin',
    query: () => `mutation { createApiKey(input: { name: "x", scopes: [] }) { __typename } }`,
  },
  { name: 'revokeApiKey', scope: 'admin', query: () => `mutation { revokeApiKey(id: "key-none") { __typename } }` },
  { name: 'auditLog', scope: 'admin', query: () => `{ auditLog { totalCount } }` },
];

describe('every operation x every scope', () => {
  for (const op of OPERATIONS) {
    for (const [keyId, scope] of Object.entries(KEY_SCOPES)) {
      const allowed = op.scope === null || op.scope === scope;
      test(`${op.name} with a ${scope} key: ${allowed ? 'runs' : `FORBIDDEN, needs ${op.scope}`}`, async () => {
        const versionBefore = await server.facegraph.ledger.changeVersion();
        const { status, body } = await call(SECRETS[keyId as keyof typeof KEY_SCOPES], op.query(), op.variables?.());
        expect(status).toBe(200);
        if (allowed) {
          expect(body.errors).toBeUndefined();
          expect(body.data).toHaveProperty(op.name);
          return;
        }
        expect(body.errors).toHaveLength(1);
        expect(body.errors![0]).toMatchObject({
          extensions: { code: 'FORBIDDEN', requiredScope: op.scope },
          path: [op.name],
        });
        expect(body.errors![0].message).toContain(`needs the '${op.scope}' scope`);
        expect(await server.facegraph.ledger.changeVersion()).toBe(versionBefore);
      });
    }
  }
});

describe('credentials', () => {
  const CREATE = `mutation { createLibrary(input: { providerId: "local", name: "sneaky" }) { __typename } }`;

  test.each([
    ['missing', null, /credential is required/],
    ['malformed', 'Basic abc', /must be "Bearer/],
    ['unknown', `Bearer ${newApiKeySecret()}`, /not known/],
    ['neither key nor JWT', 'Bearer hello', /not an API key/],
  ])('a %s credential is 401 UNAUTHENTICATED and nothing runs', async (_name, header, message) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
      body: JSON.stringify({ query: CREATE }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = (await res.json()) as { errors: any[] };
    expect(body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(body.errors[0].message).toMatch(message);
    const [library] = await server.facegraph.ledger.librariesByKey([{ providerId: 'local', name: 'sneaky' }]);
    expect(library).toBeNull();
  });

  test('a created key works at once, shows its use, and is refused from the request after its revocation', async () => {
    const created = await call(
      SECRETS.admin,
      `mutation { createApiKey(input: { name: "ci reader", scopes: ["read"] }) {
        __typename ... on CreateApiKeySuccess { secret apiKey { id name scopes providers revokedAt } } } }`,
    );
    const { secret, apiKey } = created.body.data.createApiKey;
    expect(secret).toMatch(/^fgk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'ci reader', scopes: ['read'], providers: null, revokedAt: null });

    const asIt = await call(secret, `{ viewer { actor scopes } libraries { totalCount } }`);
    expect(asIt.body.data.viewer).toEqual({ actor: apiKey.id, scopes: ['read'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const listed = await call(SECRETS.admin, `{ apiKeys(first: 100) { edges { node { id lastUsedAt } } } }`);
    const mine = listed.body.data.apiKeys.edges.find((e: any) => e.node.id === apiKey.id);
    expect(mine.node.lastUsedAt).not.toBeNull();

    const revoked = await call(SECRETS.admin, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, {
      id: apiKey.id,
    });
    expect(revoked.body.data.revokeApiKey.__typename).toBe('RevokeApiKeySuccess');
    // The same query was answered before, so the read cache holds it: the revoked key must not reach it.
    const after = await call(secret, `{ viewer { actor scopes } libraries { totalCount } }`);
    expect(after.status).toBe(401);
    expect(after.body.errors![0].message).toBe('The API key was revoked.');
  });

  test('an expired key is refused', async () => {
    const created = await call(
      SECRETS.admin,
      `mutation($at: DateTime!) { createApiKey(input: { name: "short", scopes: ["read"], expiresAt: $at }) {
        ... on CreateApiKeySuccess { secret } } }`,
      { at: new Date(Date.now() + 1500).toISOString() },
    );
    const { secret } = created.body.data.createApiKey;
    expect((await call(secret, `{ providers { id } }`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const late = await call(secret, `{ providers { id } }`);
    expect(late.status).toBe(401);
    expect(late.body.errors![0].message).toBe('The API key has expired.');
  });

  test('createApiKey refuses bad input with the field and what is allowed', async () => {
    const { body } = await call(
      SECRETS.admin,
      `mutation { createApiKey(input: { name: "x", scopes: ["read", "superuser"] }) {
        __typename ... on InvalidInputError { field message } } }`,
    );
    expect(body.data.createApiKey).toEqual({
      __typename: 'InvalidInputError',
      field: 'input.scopes[1]',
      message: "'superuser' is not a scope; the scopes are read, search, write and admin.",
    });
  });

  test('neither the ledger file nor the log holds any secret', async () => {
    const created = await call(
      SECRETS.admin,
      `mutation { createApiKey(input: { name: "leak check", ` +
        `scopes: ["read"] }) { ... on CreateApiKeySuccess { secret } } }`,
    );
    const secret: string = created.body.data.createApiKey.secret;
    await call(secret, `{ providers { id } }`);
    await call(`${secret}x`, `{ providers { id } }`);
    const files = fs.readdirSync(server.dataDir).filter((f) => f.startsWith('facegraph.db'));
    expect(files.length).toBeGreaterThan(0);
    const everything = [
      ...files.map((f) => fs.readFileSync(path.join(server.dataDir, f)).toString('latin1')),
      logLines.join(''),
    ].join('\n');
    for (const s of [secret, ...Object.values(SECRETS)]) expect(everything.includes(s)).toBe(false);
    expect(everything.includes(sha256Hex(secret))).toBe(true);
  });
});

describe('a key limited to one provider', () => {
  test('lists only that provider and its libraries', async () => {
    const { body } = await call(
      SECRETS.limited,
      `{ providers { id } libraries { edges { node { name } } } viewer { providers } }`,
    );
    expect(body.data).toEqual({
      providers: [{ id: 'local2' }],
      libraries: { edges: [{ node: { name: 'guests' } }] },
      viewer: { providers: ['local2'] },
    });
  });

  test('by-id lookups of other providers answer as unknown', async () => {
    const { body } = await call(
      SECRETS.limited,
      `query($l: ID!, $p: ID!, $g: ID!) { library(id: $l) { name } person(id: $p) { name } ` +
        `node(id: $l) { id } provider(id: "local") { id } guests: library(id: $g) { name } }`,
      { l: ids.library, p: ids.person, g: ids.library2 },
    );
    expect(body.data).toEqual({ library: null, person: null, node: null, provider: null, guests: { name: 'guests' } });
  });

  test('mutations on other providers are NotFoundError and change nothing', async () => {
    const versionBefore = await server.facegraph.ledger.changeVersion();
    const { body } = await call(
      SECRETS.limited,
      `mutation($l: ID!) {
        a: createPerson(input: { libraryId: $l, externalId: "intruder" }) { __typename ` +
        `... on NotFoundError { resource id } }
        b: createLibrary(input: { providerId: "local", name: "x" }) { __typename ... on NotFoundError { resource id } }
        c: deleteLibrary(id: $l) { __typename }
      }`,
      { l: ids.library },
    );
    expect(body.data).toEqual({
      a: { __typename: 'NotFoundError', resource: 'LIBRARY', id: ids.library },
      b: { __typename: 'NotFoundError', resource: 'PROVIDER', id: 'local' },
      c: { __typename: 'NotFoundError' },
    });
    expect(await server.facegraph.ledger.changeVersion()).toBe(versionBefore);
  });

  test('cannot make a key that reaches further than itself', async () => {
    const { body } = await call(
      SECRETS.limited,
      `mutation { createApiKey(input: { name: "wider", scopes: ["read"], ` +
        `providers: ["local"] }) { __typename ... on InvalidInputError { field } } }`,
    );
    expect(body.data.createApiKey).toEqual({ __typename: 'InvalidInputError', field: 'input.providers[0]' });
  });

  test('never shares a cached answer with a wider credential', async () => {
    const query = `{ libraries(first: 50) { edges { node { name } } } }`;
    for (let i = 0; i < 2; i++) await call(SECRETS.reader, query);
    const limited = await call(SECRETS.limited, query);
    expect(limited.body.data.libraries.edges.map((e: any) => e.node.name)).toEqual(['guests']);
  });
});

describe('audit log', () => {
  test('records mutations and searches with actor, operation, targets and outcome, never values', async () => {
    await call(
      SECRETS.writer,
      `mutation($id: ID!) { createPerson(input: { libraryId: $id, ` +
        `externalId: "audited", name: "Secret Name" }) { __typename } }`,
      {
        id: ids.library,
      },
    );
    await call(
      SECRETS.searcher,
      `query($id: ID!) { searchFaces(libraryId: $id, image: { base64: "bad" }) { __typename } }`,
      { id: ids.library },
    );
    const { body } = await call(
      SECRETS.admin,
      `{ auditLog(first: 2) { totalCount edges { node { actor operation targetIds outcome clientAddress at } } } }`,
    );
    const [search, create] = body.data.auditLog.edges.map((e: any) => e.node);
    expect(search).toMatchObject({
      actor: 'searcher',
      operation: 'searchFaces',
      targetIds: [ids.library],
      outcome: 'ImageRejectedError',
    });
    expect(create).toMatchObject({
      actor: 'writer',
      operation: 'createPerson',
      targetIds: [ids.library, personGlobalId('local', 'staff', 'audited')],
      outcome: 'CreatePersonSuccess',
    });
    expect(create.clientAddress).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(body)).not.toContain('Secret Name');
  });

  test('filters by actor, operation and target', async () => {
    const { body } = await call(
      SECRETS.admin,
      `query($t: ID!) { auditLog(filter: { actor: "writer", ` +
        `operation: "createPerson", targetId: $t }) { edges { node { operation } } } }`,
      { t: personGlobalId('local', 'staff', 'audited') },
    );
    expect(body.data.auditLog.edges).toEqual([{ node: { operation: 'createPerson' } }]);
  });
});
