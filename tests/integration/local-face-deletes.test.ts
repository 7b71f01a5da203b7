import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { facePhoto } from '../support/images';
import { errorsOf, resultOf } from '../support/graphql-results';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// Deleting LOCAL faces over real HTTP: image files go with the last face that uses them, each face is
// reported deleted by exactly one call, and a failed registration never takes another face's image.

let server: TestServer;
let images: Buffer[];

beforeAll(async () => {
  server = await startTestServer();
  images = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((variant) => facePhoto('A', 'jpeg', variant)));
});
afterAll(async () => server?.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const storedImagePath = (bytes: Buffer) => {
  const sha = sha256(bytes);
  return path.join(server.dataDir, 'images', sha.slice(0, 2), sha);
};
const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);

async function createLibrary(name: string): Promise<string> {
  const result = await op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
      ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
    { i: { providerId: 'local', name } },
  );
  return result.library.id;
}

async function registerFace(libraryId: string, image: Buffer, externalImageId?: string) {
  return op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { face { id } } ${errorsOf('registerFace')} } }`,
    {
      i: { libraryId, image: { base64: image.toString('base64') }, externalImageId },
    },
  );
}

async function registeredFaceId(libraryId: string, image: Buffer, externalImageId?: string): Promise<string> {
  const result = await registerFace(libraryId, image, externalImageId);
  if (result.__typename !== 'RegisterFaceSuccess') throw new Error(`registerFace failed: ${JSON.stringify(result)}`);
  return result.face.id;
}

const deleteFaces = (libraryId: string, filter: Record<string, unknown>) =>
  op(
    `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f) { __typename
      ... on DeleteFacesSuccess { deletedCount deletedFaceIds failures { faceId } } ${errorsOf('deleteFaces')} } }`,
    { l: libraryId, f: filter },
  );

const REGISTER_TYPENAME = 'mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }';

function openLedgerFile(): Database.Database {
  return new Database(path.join(server.dataDir, 'facegraph.db'));
}

test('deleting by ids three faces that share one image removes the image file', async () => {
  const libraryId = await createLibrary('shared-by-ids');
  const faceIds = [];
  for (let i = 0; i < 3; i++) faceIds.push(await registeredFaceId(libraryId, images[4]!));
  expect(fs.existsSync(storedImagePath(images[4]!))).toBe(true);

  const result = await deleteFaces(libraryId, { faceIds });
  expect(result).toMatchObject({ __typename: 'DeleteFacesSuccess', deletedCount: 3, failures: [] });
  expect(fs.existsSync(storedImagePath(images[4]!))).toBe(false);
});

test('20 overlapping concurrent deleteFaces over 40 faces report each face once and leave no file', async () => {
  const libraryId = await createLibrary('overlapping');
  const faceIds: string[] = [];
  const overlapImages = images.slice(0, 4);
  for (let i = 0; i < 40; i++) faceIds.push(await registeredFaceId(libraryId, overlapImages[i % 4]!));

  // Call i names faces 2i .. 2i+5 (wrapping): every face is named by three calls.
  const calls = Array.from({ length: 20 }, (_, i) => faceIds.filter((_, f) => (f - 2 * i + 40) % 40 < 6));
  const results = await Promise.all(calls.map((ids) => deleteFaces(libraryId, { faceIds: ids })));

  const reported = results.flatMap((r) => {
    expect(r.__typename).toBe('DeleteFacesSuccess');
    expect(r.deletedCount).toBe(r.deletedFaceIds.length);
    return r.deletedFaceIds as string[];
  });
  expect(reported).toHaveLength(40);
  expect(new Set(reported)).toEqual(new Set(faceIds));
  for (const image of overlapImages) expect(fs.existsSync(storedImagePath(image))).toBe(false);
}, 120_000);

test('a failed registration leaves an image another face uses, and takes back one no face uses', async () => {
  const [shared, unshared] = [images[5]!, images[6]!];
  const keeperLibrary = await createLibrary('keeper');
  const failingLibrary = await createLibrary('failing');
  const keeperId = await registeredFaceId(keeperLibrary, shared);

  // A real SQLite failure of the face insert, for the failing library only.
  const db = openLedgerFile();
  db.exec(`CREATE TRIGGER refuse_faces BEFORE INSERT ON faces
           WHEN NEW.library_row_id = (SELECT row_id FROM libraries WHERE name = 'failing')
           BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
  try {
    for (const image of [shared, unshared]) {
      const response = await gql(server.url, REGISTER_TYPENAME, {
        i: { libraryId: failingLibrary, image: { base64: image.toString('base64') } },
      });
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    }
  } finally {
    db.exec('DROP TRIGGER refuse_faces');
    db.close();
  }

  expect(fs.existsSync(storedImagePath(shared))).toBe(true);
  expect(fs.existsSync(storedImagePath(unshared))).toBe(false);
  // The keeper's image is still there, and goes with the keeper.
  expect(await deleteFaces(keeperLibrary, { faceIds: [keeperId] })).toMatchObject({ deletedCount: 1 });
  expect(fs.existsSync(storedImagePath(shared))).toBe(false);
});
