import { libraryId as libraryGlobalId, personId as personGlobalId } from '../../src/domain/global-id';
import { LEDGER_BACKENDS } from '../support/ledgers';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// Relay cursor connections over HTTP: every connection field pages forward with first/after and backward with
// last/before, and its pageInfo says honestly whether pages lie before and after it; on a SQLite ledger and on a
// PostgreSQL one (a schema of its own).

const LIBRARIES = 22;
const libraryNames = Array.from({ length: LIBRARIES }, (_, i) => `lib-${String(i).padStart(2, '0')}`);

describe.each(LEDGER_BACKENDS)('on a %s ledger', (backend) => {
  let server: TestServer;
  /** lib-00: persons ada, grace, linus; faces f0..f4 (see below). */
  let staffId: string;
  let adaId: string;

  interface PageInfo {
    hasPreviousPage: boolean;
    hasNextPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  }
  interface NamedPage {
    totalCount?: number;
    pageInfo: PageInfo;
    edges: { cursor: string; node: { name: string } }[];
  }

  const PAGE = 'pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { name } }';

  beforeAll(async () => {
    // Without the response cache: statements are counted below, and the cache would answer repeated queries.
    server = await startTestServer({ ledger: backend, configure: (c) => void (c.server.responseCacheBytes = 0) });
    const { libraries, ledger } = server.facegraph.services;
    const created = [];
    for (const name of libraryNames) {
      created.push(
        await libraries.createLibrary({ providerId: 'local', name, fields: [{ name: 'dept', type: 'STRING' }] }),
      );
    }
    const staff = created[0]!;
    staffId = libraryGlobalId(staff.providerId, staff.name);
    const persons: Record<string, number> = {};
    for (const externalId of ['ada', 'grace', 'linus']) {
      persons[externalId] = (await libraries.createPerson({ libraryId: staffId, externalId, name: externalId })).rowId;
    }
    adaId = personGlobalId('local', staff.name, 'ada');
    // Faces go straight into the ledger: these tests read them back, they are not about detecting them.
    const faces: [string, string | null, string][] = [
      ['f0', 'ada', 'sales'],
      ['f1', 'ada', 'ops'],
      ['f2', 'grace', 'sales'],
      ['f3', null, 'sales'],
      ['f4', 'ada', 'sales'],
    ];
    for (const [vendorFaceId, owner, dept] of faces) {
      await ledger.insertFace({
        libraryRowId: staff.rowId,
        personRowId: owner ? persons[owner]! : null,
        vendorFaceId,
        externalImageId: null,
        fields: { dept },
        userData: null,
        boundingBox: null,
        imageSha256: null,
      });
    }
  });

  afterAll(async () => {
    await server?.close();
  });

  test('the server runs on the ledger its configuration names', () => {
    expect(server.facegraph.ledger.constructor.name).toBe(backend === 'postgres' ? 'PostgresLedger' : 'SqliteLedger');
  });

  async function data<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await gql<T>(server.url, query, variables);
    expect(res.errors).toBeUndefined();
    return res.data!;
  }

  const names = (page: NamedPage) => page.edges.map((e) => e.node.name);
  const cursorsOf = (page: { edges: { cursor: string }[] }) => ({
    startCursor: page.edges[0]?.cursor ?? null,
    endCursor: page.edges[page.edges.length - 1]?.cursor ?? null,
  });

  describe('Query.libraries', () => {
    const BACKWARD = `query ($last: Int, $before: String) {
      libraries(last: $last, before: $before) { totalCount ${PAGE} }
    }`;
    const FORWARD = `query ($first: Int, $after: String) {
      libraries(first: $first, after: $after) { totalCount ${PAGE} }
    }`;

    test(
      'pages backward from the end to the start with last/before, ' + 'with the Relay pageInfo on each page',
      async () => {
        const { libraries: end } = await data<{ libraries: NamedPage }>(BACKWARD, { last: 2 });
        expect(names(end)).toEqual(libraryNames.slice(-2));
        expect(end.totalCount).toBe(LIBRARIES);
        expect(end.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: false, ...cursorsOf(end) });

        const seen = names(end);
        let before = end.pageInfo.startCursor;
        for (;;) {
          const { libraries: page } = await data<{ libraries: NamedPage }>(BACKWARD, { last: 8, before });
          expect(page.pageInfo).toMatchObject({ hasNextPage: true, ...cursorsOf(page) });
          seen.unshift(...names(page));
          if (!page.pageInfo.hasPreviousPage) break;
          before = page.pageInfo.startCursor;
        }
        expect(seen).toEqual(libraryNames);
      },
    );

    test('a page before the first library is empty, with null cursors and a next page', async () => {
      const { libraries: start } = await data<{ libraries: NamedPage }>(FORWARD, { first: 1 });
      const { libraries: empty } = await data<{ libraries: NamedPage }>(BACKWARD, {
        last: 5,
        before: start.edges[0]!.cursor,
      });
      expect(empty.edges).toEqual([]);
      expect(empty.pageInfo).toEqual({
        hasPreviousPage: false,
        hasNextPage: true,
        startCursor: null,
        endCursor: null,
      });
    });

    test('first keeps its default of 20, and forward pages say whether a page lies before them', async () => {
      const { libraries: first } = await data<{ libraries: NamedPage }>(`{ libraries { ${PAGE} } }`);
      expect(names(first)).toEqual(libraryNames.slice(0, 20));
      expect(first.pageInfo).toEqual({ hasPreviousPage: false, hasNextPage: true, ...cursorsOf(first) });

      const { libraries: rest } = await data<{ libraries: NamedPage }>(FORWARD, { after: first.pageInfo.endCursor });
      expect(names(rest)).toEqual(libraryNames.slice(20));
      expect(rest.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: false, ...cursorsOf(rest) });
    });

    test('last without first is neither capped nor refused because of the default first', async () => {
      const { libraries: literal } = await data<{ libraries: NamedPage }>(`{ libraries(last: 21) { ${PAGE} } }`);
      expect(names(literal)).toEqual(libraryNames.slice(1));
      expect(literal.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

      const BOTH = `query ($first: Int, $last: Int) { libraries(first: $first, last: $last) { ${PAGE} } }`;
      const { libraries: viaVariables } = await data<{ libraries: NamedPage }>(BOTH, { last: 21 });
      expect(names(viaVariables)).toEqual(libraryNames.slice(1));
    });

    test('first and last together are refused with BAD_USER_INPUT naming both, also through variables', async () => {
      const literal = await gql(server.url, `{ libraries(first: 2, last: 2) { ${PAGE} } }`);
      const BOTH = `query ($first: Int, $last: Int) { libraries(first: $first, last: $last) { ${PAGE} } }`;
      const viaVariables = await gql(server.url, BOTH, { first: 20, last: 2 });
      for (const res of [literal, viaVariables]) {
        expect(res.data).toBeNull();
        expect(res.errors).toHaveLength(1);
        expect(res.errors![0]!.message).toMatch(/'first'.*'last'/);
        expect(res.errors![0]!.extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          argumentNames: ['first', 'last'],
        });
      }
    });

    test('last and before are checked as first and after are: 0-100, and cursors of this API only', async () => {
      const refusal = async (args: string) => {
        const res = await gql(server.url, `{ libraries(${args}) { ${PAGE} } }`);
        expect(res.errors).toHaveLength(1);
        return { message: res.errors![0]!.message, extensions: res.errors![0]!.extensions };
      };
      for (const last of [-1, 101]) {
        expect(await refusal(`last: ${last}`)).toMatchObject({
          message: expect.stringContaining(`'last' must be between 0 and 100`),
          extensions: { code: 'BAD_USER_INPUT', argumentName: 'last' },
        });
      }
      expect(await refusal(`last: 2, before: "nope"`)).toMatchObject({
        message: expect.stringContaining(`'before' is not a cursor`),
        extensions: { code: 'BAD_USER_INPUT', argumentName: 'before' },
      });
      const { libraries: none } = await data<{ libraries: NamedPage }>(`{ libraries(last: 0) { ${PAGE} } }`);
      expect(none).toEqual({
        edges: [],
        pageInfo: { hasPreviousPage: true, hasNextPage: false, startCursor: null, endCursor: null },
      });
    });
  });

  test('Provider.libraries pages backward too', async () => {
    const query =
      `query ($before: String) { provider(id: "local") { libraries(last: 1, ` + `before: $before) { ${PAGE} } } }`;
    const { provider: newest } = await data<{ provider: { libraries: NamedPage } }>(query);
    expect(names(newest.libraries)).toEqual(['lib-21']);
    expect(newest.libraries.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = newest.libraries.pageInfo.startCursor;
    const { provider: older } = await data<{ provider: { libraries: NamedPage } }>(query, { before });
    expect(names(older.libraries)).toEqual(['lib-20']);
    expect(older.libraries.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  describe('connections of a library and of a person', () => {
    interface FacePage {
      totalCount?: number;
      pageInfo: PageInfo;
      edges: { cursor: string; node: { vendorFaceId: string } }[];
    }
    const FACE_PAGE =
      'pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { vendorFaceId } }';
    const ids = (page: FacePage) => page.edges.map((e) => e.node.vendorFaceId);

    test('Library.persons pages backward', async () => {
      const query = `query ($id: ID!, $before: String) {
        library(id: $id) { persons(last: 2, before: $before) { ${PAGE} } }
      }`;
      const { library: newest } = await data<{ library: { persons: NamedPage } }>(query, { id: staffId });
      expect(names(newest.persons)).toEqual(['grace', 'linus']);
      expect(newest.persons.pageInfo).toEqual({
        hasPreviousPage: true,
        hasNextPage: false,
        ...cursorsOf(newest.persons),
      });
      const before = newest.persons.pageInfo.startCursor;
      const { library: older } = await data<{ library: { persons: NamedPage } }>(query, { id: staffId, before });
      expect(names(older.persons)).toEqual(['ada']);
      expect(older.persons.pageInfo).toEqual({
        hasPreviousPage: false,
        hasNextPage: true,
        ...cursorsOf(older.persons),
      });
    });

    test('Library.faces pages backward with its filter, counting all matches', async () => {
      const query = `query ($id: ID!, $before: String) {
        library(id: $id) {
          faces(filter: { fields: { dept: "sales" } }, last: 2, before: $before) { totalCount ${FACE_PAGE} }
        }
      }`;
      const { library: newest } = await data<{ library: { faces: FacePage } }>(query, { id: staffId });
      expect(ids(newest.faces)).toEqual(['f3', 'f4']);
      expect(newest.faces.totalCount).toBe(4);
      expect(newest.faces.pageInfo).toEqual({
        hasPreviousPage: true,
        hasNextPage: false,
        ...cursorsOf(newest.faces),
      });
      const before = newest.faces.pageInfo.startCursor;
      const { library: older } = await data<{ library: { faces: FacePage } }>(query, { id: staffId, before });
      expect(ids(older.faces)).toEqual(['f0', 'f2']);
      expect(older.faces.totalCount).toBe(4);
      expect(older.faces.pageInfo).toEqual({ hasPreviousPage: false, hasNextPage: true, ...cursorsOf(older.faces) });
    });

    test('Person.faces pages backward, alone and nested under every person of a library', async () => {
      const { person } = await data<{ person: { faces: FacePage } }>(
        `query ($id: ID!) { person(id: $id) { faces(last: 2) { ${FACE_PAGE} } } }`,
        { id: adaId },
      );
      expect(ids(person.faces)).toEqual(['f1', 'f4']);
      expect(person.faces.pageInfo).toEqual({
        hasPreviousPage: true,
        hasNextPage: false,
        ...cursorsOf(person.faces),
      });

      const nested = await data<{ library: { persons: { edges: { node: { name: string; faces: FacePage } }[] } } }>(
        `query ($id: ID!) { library(id: $id) { persons { edges { node { name faces(last: 1) { ${FACE_PAGE} } } } } } }`,
        { id: staffId },
      );
      const summary = nested.library.persons.edges.map(({ node }) => [
        node.name,
        ids(node.faces),
        node.faces.pageInfo.hasPreviousPage,
      ]);
      expect(summary).toEqual([
        ['ada', ['f4'], true],
        ['grace', ['f2'], false],
        ['linus', [], false],
      ]);
    });

    test('paging backward costs what paging forward does; totalCount one statement more, when selected', async () => {
      // Every library fits in one page, so both directions reach the same persons and faces; inner pages stay small
      // enough for limits.maxCost.
      const nested = (direction: 'first' | 'last', total: string) => `{
        libraries(${direction}: 100) { ${total} edges { node { name
          persons(${direction}: 10) { ${total} edges { node { name
            faces(${direction}: 10) { ${total} edges { node { vendorFaceId } } }
          } } }
        } } }
      }`;
      const statements = async (query: string) => {
        const before = server.facegraph.ledger.queryCount();
        await data(query);
        return server.facegraph.ledger.queryCount() - before;
      };
      const forward = await statements(nested('first', ''));
      const backward = await statements(nested('last', ''));
      const backwardCounted = await statements(nested('last', 'totalCount'));
      expect(backward).toBe(forward);
      // libraries, persons and faces: one statement each for the pages, one each for the totals.
      expect(backward).toBe(3);
      expect(backwardCounted).toBe(backward + 3);
    });
  });
});
