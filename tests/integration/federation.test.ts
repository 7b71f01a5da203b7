import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { Kind, parse, print, type ObjectTypeDefinitionNode } from 'graphql';
import { faceId, libraryId } from '../../src/domain/global-id';
import { CreateLibraryDocument, CreatePersonDocument, RegisterFaceDocument } from '../generated/graphql';
import { auditsTypeDefs, startAuditsSubgraph, type AuditRow, type AuditsSubgraph } from '../support/federation';
import { facePhoto } from '../support/images';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

const schemaPath = path.resolve(__dirname, '../../schema.graphql');
const committedSdl = readFileSync(schemaPath, 'utf8');

let server: TestServer;
let lib: { id: string; name: string };
let person: { id: string; name: string | null };
/** A second person of `staff`, created after Ada, with no faces. */
let grace: { id: string; name: string | null };
/** Ten faces of `staff`: faces[0] belongs to Ada (dept sales), the others to nobody (dept ops). */
let faces: { id: string; vendorFaceId: string }[];

beforeAll(async () => {
  server = await startTestServer();
  const created = await execute(server.url, CreateLibraryDocument, {
    input: { providerId: 'local', name: 'staff', fields: [{ name: 'dept', type: 'STRING' }] },
  });
  if (created.createLibrary.__typename !== 'CreateLibrarySuccess') throw new Error(JSON.stringify(created));
  lib = created.createLibrary.library;

  const createdPerson = await execute(server.url, CreatePersonDocument, { input: { libraryId: lib.id, name: 'Ada' } });
  if (createdPerson.createPerson.__typename !== 'CreatePersonSuccess') throw new Error(JSON.stringify(createdPerson));
  person = createdPerson.createPerson.person;
  const createdGrace = await execute(server.url, CreatePersonDocument, { input: { libraryId: lib.id, name: 'Grace' } });
  if (createdGrace.createPerson.__typename !== 'CreatePersonSuccess') throw new Error(JSON.stringify(createdGrace));
  grace = createdGrace.createPerson.person;

  faces = [];
  for (let i = 0; i < 10; i++) {
    const registered = await execute(server.url, RegisterFaceDocument, {
      input: {
        libraryId: lib.id,
        personId: i === 0 ? person.id : null,
        image: { base64: (await facePhoto(i % 2 === 0 ? 'A' : 'B', 'jpeg', i)).toString('base64') },
        fields: { dept: i === 0 ? 'sales' : 'ops' },
      },
    });
    if (registered.registerFace.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(registered));
    faces.push(registered.registerFace.face);
  }
});

afterAll(async () => {
  await server?.close();
});

describe('the subgraph SDL', () => {
  test('_service sdl served over HTTP equals the committed schema.graphql', async () => {
    const res = await gql<{ _service: { sdl: string } }>(server.url, '{ _service { sdl } }');
    expect(res.errors).toBeUndefined();
    const served = res.data!._service.sdl.trimEnd();
    const committed = committedSdl.trimEnd();
    if (served !== committed) {
      const servedLines = served.split('\n');
      const committedLines = committed.split('\n');
      const line = servedLines.findIndex((l, i) => l !== committedLines[i]);
      const at = line === -1 ? committedLines.length : line;
      throw new Error(
        `schema.graphql is stale: the served subgraph SDL differs from it at line ${at + 1}\n` +
          `  served:    ${JSON.stringify(servedLines[at])}\n  committed: ${JSON.stringify(committedLines[at])}\n` +
          'Run `npm run schema:emit` and commit schema.graphql.',
      );
    }
    expect(served).toBe(committed);
  });
});

describe('_entities', () => {
  const ENTITIES = `
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        __typename
        ... on Library { id libraryName: name }
        ... on Person { id personName: name }
        ... on Face { id vendorFaceId fields }
      }
    }`;
  const entities = (representations: { __typename: string; id: string }[]) =>
    gql<{ _entities: (Record<string, unknown> | null)[] }>(server.url, ENTITIES, { representations });

  test('resolves a Library, a Person and a Face by id', async () => {
    const res = await entities([
      { __typename: 'Library', id: lib.id },
      { __typename: 'Person', id: person.id },
      { __typename: 'Face', id: faces[0].id },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      { __typename: 'Library', id: lib.id, libraryName: 'staff' },
      { __typename: 'Person', id: person.id, personName: 'Ada' },
      { __typename: 'Face', id: faces[0].id, vendorFaceId: faces[0].vendorFaceId, fields: { dept: 'sales' } },
    ]);
  });

  test('returns null for well-formed ids that point at nothing', async () => {
    const res = await entities([
      { __typename: 'Library', id: libraryId('local', 'nobody') },
      { __typename: 'Face', id: faceId('local', 'staff', 'no-such-face') },
      { __typename: 'Face', id: faceId('local', 'nobody', faces[0].vendorFaceId) },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([null, null, null]);
  });

  test('returns null, not an error, for garbage ids and ids of the wrong type', async () => {
    const res = await entities([
      { __typename: 'Face', id: 'garbage!' },
      { __typename: 'Library', id: '' },
      { __typename: 'Person', id: Buffer.from('[1,"P","local"]').toString('base64url') },
      { __typename: 'Face', id: lib.id },
      { __typename: 'Library', id: faces[0].id },
      { __typename: 'Person', id: lib.id },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([null, null, null, null, null, null]);
  });
});

describe('entity lookups and DataLoaders', () => {
  const FACES = `
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Face { id vendorFaceId fields library { name } person { name } }
      }
    }`;

  async function statementsFor(faceIds: string[]): Promise<number> {
    const before = server.facegraph.ledger.queryCount();
    const res = await gql<{ _entities: ({ id: string } | null)[] }>(server.url, FACES, {
      representations: faceIds.map((id) => ({ __typename: 'Face', id })),
    });
    const after = server.facegraph.ledger.queryCount();
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities.map((f) => f?.id)).toEqual(faceIds);
    return after - before;
  }

  test('ten Face representations cost as many ledger statements as two', async () => {
    const two = await statementsFor(faces.slice(0, 2).map((f) => f.id));
    const ten = await statementsFor(faces.map((f) => f.id));
    expect(two).toBeGreaterThan(0);
    expect(ten).toBe(two);
  });
});

function objectType(sdl: string, name: string): ObjectTypeDefinitionNode {
  const found = parse(sdl).definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name);
  if (!found) throw new Error(`the supergraph has no type ${name}`);
  return found as ObjectTypeDefinitionNode;
}

/** The join directives of our entities in a supergraph, printed. */
function joinDirectives(sdl: string): Record<string, string[]> {
  const entities = ['Library', 'Person', 'Face'];
  return Object.fromEntries(entities.map((name) => [name, (objectType(sdl, name).directives ?? []).map(print)]));
}

describe('composition with a second subgraph', () => {
  const facegraph = { name: 'facegraph', typeDefs: parse(committedSdl), url: 'http://127.0.0.1:1/graphql' };
  const audits = { name: 'audits', typeDefs: parse(auditsTypeDefs), url: 'http://127.0.0.1:2/graphql' };

  test('the committed SDL and an audits subgraph compose into a supergraph with our entities', () => {
    const result = composeServices([facegraph, audits]);
    expect(result.errors).toBeUndefined();
    const implementsNode = (graph: string) => `@join__implements(graph: ${graph}, interface: "Node")`;
    const keyIn = (graph: string) => `@join__type(graph: ${graph}, key: "id")`;
    expect(joinDirectives(result.supergraphSdl!)).toMatchObject({
      Library: [implementsNode('FACEGRAPH'), keyIn('FACEGRAPH')],
      Person: [implementsNode('AUDITS'), implementsNode('FACEGRAPH'), keyIn('AUDITS'), keyIn('FACEGRAPH')],
      Face: [implementsNode('FACEGRAPH'), keyIn('AUDITS'), keyIn('FACEGRAPH')],
    });
  });

  test("PageInfo is the Relay spec's: it composes with a subgraph that defines the spec's PageInfo", () => {
    const result = composeServices([facegraph, audits]);
    expect(result.errors?.map((e) => e.message)).toBeUndefined();
    const pageInfo = objectType(result.supergraphSdl!, 'PageInfo');
    expect(pageInfo.directives?.map(print)).toEqual(['@join__type(graph: AUDITS)', '@join__type(graph: FACEGRAPH)']);
    expect(pageInfo.fields?.map(print)).toEqual([
      'hasNextPage: Boolean!',
      'hasPreviousPage: Boolean!',
      'startCursor: String',
      'endCursor: String',
    ]);
  });

  test('our @shareable error types can be defined by another subgraph too', () => {
    const errorTypes = (shareable: string) =>
      `
      enum ErrorCode { INVALID_INPUT NOT_FOUND ALREADY_EXISTS IMAGE_REJECTED UNSUPPORTED_OPERATION RATE_LIMITED ` +
      `QUOTA_EXCEEDED CONFLICT VENDOR_AUTH VENDOR_UNAVAILABLE }
      enum ResourceKind { PROVIDER LIBRARY PERSON FACE }
      type NotFoundError ${shareable} { message: String! code: ErrorCode! resource: ResourceKind! id: String! }
      extend type Query { audit(id: ID!): NotFoundError }`;
    const shared = { ...audits, typeDefs: parse(auditsTypeDefs + errorTypes('@shareable')) };
    const result = composeServices([facegraph, shared]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toMatch(
      /type NotFoundError implements Error\s+@join__implements\(graph: FACEGRAPH, interface: "Error"\)\s+@join__type\(graph: AUDITS\)\s+@join__type\(graph: FACEGRAPH\)/,
    );

    // Without @shareable on the other side the same type is a field-sharing error: the marking is what makes it work.
    const unshared = { ...audits, typeDefs: parse(auditsTypeDefs + errorTypes('')) };
    const failed = composeServices([facegraph, unshared]);
    expect(failed.errors?.map((e) => e.extensions.code)).toContain('INVALID_FIELD_SHARING');
  });
});

describe('a query through @apollo/gateway', () => {
  let auditsSubgraph: AuditsSubgraph;
  let gateway: ApolloServer;
  let rows: AuditRow[];

  beforeAll(async () => {
    rows = [
      { id: 'a1', verdict: 'approved', faceId: faces[0].id, signedBy: person.id },
      { id: 'a2', verdict: 'flagged', faceId: faces[1].id, signedBy: grace.id },
      { id: 'a3', verdict: 'approved again', faceId: faces[0].id, signedBy: person.id },
    ];
    auditsSubgraph = await startAuditsSubgraph(rows);
    const composed = composeServices([
      { name: 'facegraph', typeDefs: parse(committedSdl), url: server.url },
      { name: 'audits', typeDefs: parse(auditsTypeDefs), url: auditsSubgraph.url },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
    gateway = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl }) });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await auditsSubgraph?.stop();
  });

  async function run(query: string, variables?: Record<string, unknown>): Promise<unknown> {
    const res = await gateway.executeOperation({ query, variables });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    expect(res.body.singleResult.errors).toBeUndefined();
    return res.body.singleResult.data;
  }

  test('a query starting in audits resolves faces, libraries and persons from facegraph', async () => {
    const data = await run(
      '{ audits { verdict face { id vendorFaceId fields library { name faceCount } person { name } } } }',
    );
    const face = (i: number) => ({
      id: faces[i].id,
      vendorFaceId: faces[i].vendorFaceId,
      fields: { dept: i === 0 ? 'sales' : 'ops' },
      library: { name: 'staff', faceCount: 10 },
      person: i === 0 ? { name: 'Ada' } : null,
    });
    expect(data).toEqual({
      audits: [
        { verdict: 'approved', face: face(0) },
        { verdict: 'flagged', face: face(1) },
        { verdict: 'approved again', face: face(0) },
      ],
    });
  });

  test('a query starting in facegraph resolves the audits of each face from the audits subgraph', async () => {
    const data = await run(
      '{ libraries { edges { node { name faces { edges { node { id audits { verdict } } } } } } } }',
    );
    const audits = (i: number) => rows.filter((r) => r.faceId === faces[i].id).map((r) => ({ verdict: r.verdict }));
    expect(data).toEqual({
      libraries: {
        edges: [
          {
            node: { name: 'staff', faces: { edges: faces.map((f, i) => ({ node: { id: f.id, audits: audits(i) } })) } },
          },
        ],
      },
    });
  });

  test('Relay connections of both subgraphs in one query: audits paged forward, persons backward', async () => {
    const query = `query ($libraryId: ID!, $before: String) {
      auditPage(first: 2) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { verdict face { vendorFaceId person { name } } } }
      }
      library(id: $libraryId) {
        persons(last: 1, before: $before) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { name signedAudits { verdict face { vendorFaceId } } } }
        }
      }
    }`;
    const newest = (await run(query, { libraryId: lib.id })) as {
      library: { persons: { edges: { cursor: string }[] } };
    };
    const graceCursor = newest.library.persons.edges[0]?.cursor;
    expect(newest).toEqual({
      auditPage: {
        pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 'a1', endCursor: 'a2' },
        edges: [
          { node: { verdict: 'approved', face: { vendorFaceId: faces[0].vendorFaceId, person: { name: 'Ada' } } } },
          { node: { verdict: 'flagged', face: { vendorFaceId: faces[1].vendorFaceId, person: null } } },
        ],
      },
      library: {
        persons: {
          pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: graceCursor, endCursor: graceCursor },
          edges: [
            {
              cursor: graceCursor,
              node: {
                name: 'Grace',
                signedAudits: [{ verdict: 'flagged', face: { vendorFaceId: faces[1].vendorFaceId } }],
              },
            },
          ],
        },
      },
    });

    const older = (await run(query, { libraryId: lib.id, before: graceCursor })) as {
      library: { persons: { edges: { cursor: string }[] } };
    };
    const adaCursor = older.library.persons.edges[0]?.cursor;
    const adaAudits = [
      { verdict: 'approved', face: { vendorFaceId: faces[0].vendorFaceId } },
      { verdict: 'approved again', face: { vendorFaceId: faces[0].vendorFaceId } },
    ];
    expect(older.library).toEqual({
      persons: {
        pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: adaCursor, endCursor: adaCursor },
        edges: [{ cursor: adaCursor, node: { name: 'Ada', signedAudits: adaAudits } }],
      },
    });
  });
});
