import { libraryId as libraryGlobalId } from '../../src/domain/global-id';
import { LibrariesPersonsFacesDocument } from '../generated/graphql';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

// `libraries { persons { faces { person { name } } } }` must cost a number of ledger statements that
// depends on the depth of the query, not on how many persons and faces it returns.

const FACES_PER_PERSON = 5;

// Faces are written straight into the ledger: this test is about reading them back, not detecting them.
async function seededServer(persons: number): Promise<TestServer> {
  // Without the response cache: this counts what resolving the query costs (the cache adds a version check).
  const server = await startTestServer({ configure: (c) => void (c.server.responseCacheBytes = 0) });
  const { libraries, ledger } = server.facegraph.services;
  const library = await libraries.createLibrary({ providerId: 'local', name: 'staff' });
  const libraryId = libraryGlobalId(library.providerId, library.name);
  for (let p = 0; p < persons; p++) {
    const person = await libraries.createPerson({ libraryId, externalId: `p${p}`, name: `Person ${p}` });
    for (let f = 0; f < FACES_PER_PERSON; f++) {
      await ledger.insertFace({
        libraryRowId: library.rowId,
        personRowId: person.rowId,
        vendorFaceId: `p${p}-f${f}`,
        externalImageId: null,
        fields: {},
        userData: null,
        boundingBox: null,
        imageSha256: null,
      });
    }
  }
  return server;
}

async function statementsFor(server: TestServer) {
  const before = server.facegraph.ledger.queryCount();
  const data = await execute(server.url, LibrariesPersonsFacesDocument);
  return { statements: server.facegraph.ledger.queryCount() - before, data };
}

test(
  'the nested libraries/persons/faces/person query costs ' + 'the same ledger statements for 2 and for 20 persons',
  async () => {
    const small = await seededServer(2);
    const large = await seededServer(20);
    try {
      const a = await statementsFor(small);
      const b = await statementsFor(large);

      const persons = b.data.libraries.edges[0].node.persons;
      expect(persons.totalCount).toBe(20);
      expect(persons.edges).toHaveLength(20);
      for (const { node } of persons.edges) {
        expect(node.faces.totalCount).toBe(FACES_PER_PERSON);
        expect(node.faces.edges.map((e) => e.node.person?.name)).toEqual(Array(FACES_PER_PERSON).fill(node.name));
      }
      console.info(`ledger statements: ${a.statements} for 2 persons, ${b.statements} for 20 persons`);
      expect(b.statements).toBe(a.statements);
      // libraries (items + count), persons (items + count), faces (items + count); face.person is primed.
      expect(b.statements).toBeLessThanOrEqual(6);
    } finally {
      await small.close();
      await large.close();
    }
  },
);

test('without totalCount in the query the same nesting costs only the pages: one statement per level', async () => {
  const server = await seededServer(20);
  try {
    const query =
      `{ libraries { edges { node { persons(first: 20) { edges { node { ` +
      `faces(first: 5) { edges { node { person { name } } } } } } } } } } }`;
    const before = server.facegraph.ledger.queryCount();
    const response = await gql(server.url, query);
    const statements = server.facegraph.ledger.queryCount() - before;
    expect(response.errors).toBeUndefined();
    const persons = response.data.libraries.edges[0].node.persons.edges;
    expect(persons).toHaveLength(20);
    expect(persons.every((p: any) => p.node.faces.edges.length === FACES_PER_PERSON)).toBe(true);
    // libraries, persons, faces: a page each; no count
    expect(statements).toBe(3);
  } finally {
    await server.close();
  }
});
