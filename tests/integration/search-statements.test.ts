import { facePhoto } from '../support/images';
import { errorsOf, resultOf } from '../support/graphql-results';
import { startTestServer, type TestServer } from '../support/test-server';

// A search costs the ledger the same few statements however many faces match: the matched faces are read in
// one batch, and a LOCAL match (found from the ledger's own descriptors) is not read twice.

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);

async function libraryWithFaces(name: string, count: number): Promise<string> {
  const created = await op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { ... on CreateLibrarySuccess { library { id } } } }`,
    { i: { providerId: 'local', name } },
  );
  const libraryId = created.library.id as string;
  for (let variant = 0; variant < count; variant++) {
    const image = await facePhoto('A', 'jpeg', variant);
    const registered = await op(
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ${errorsOf('registerFace')} } }`,
      { i: { libraryId, image: { base64: image.toString('base64') } } },
    );
    expect(registered.__typename).toBe('RegisterFaceSuccess');
  }
  return libraryId;
}

/** The search's matches and the ledger statements it ran (measured on a second search: the first loads the cache). */
async function measuredSearch(libraryId: string, probe: Buffer): Promise<{ matches: number; statements: number }> {
  const search = () =>
    op(
      `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, image: $i, topN: 10, threshold: 0.3) { __typename
        ... on SearchFacesSuccess { matches { similarity face { id vendorFaceId } } } ${errorsOf('searchFaces')} } }`,
      { l: libraryId, i: { base64: probe.toString('base64') } },
    );
  await search();
  const before = server.facegraph.ledger.queryCount();
  const result = await search();
  const statements = server.facegraph.ledger.queryCount() - before;
  expect(result.__typename).toBe('SearchFacesSuccess');
  return { matches: result.matches.length, statements };
}

test('a LOCAL search with several matches runs as many ledger statements as one with a single match', async () => {
  const probe = await facePhoto('A', 'png');
  const one = await measuredSearch(await libraryWithFaces('one-match', 1), probe);
  const several = await measuredSearch(await libraryWithFaces('several-matches', 5), probe);
  expect(one.matches).toBe(1);
  expect(several.matches).toBe(5);
  // The library, the ledger's change version (for the descriptor cache), the matched faces; then the audit row
  // (the event and its one target, the library).
  expect(several.statements).toBe(5);
  expect(several.statements).toBe(one.statements);
});
