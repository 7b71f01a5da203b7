import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { facePhoto } from '../support/images';
import { errorsOf, resultOf } from '../support/graphql-results';
import { createPostgresSchema, type PostgresSchema } from '../support/ledgers';
import { startTestServer, type TestServer } from '../support/test-server';

// LOCAL on a PostgreSQL ledger: image bytes and descriptors live in the database, so that any replica can serve,
// compare and search them; no image file is written, and deleting the last face using an image removes its bytes.

const replicas: TestServer[] = [];
let schema: PostgresSchema;
let admin: pg.Client;

beforeAll(async () => {
  schema = await createPostgresSchema();
  // Two replicas on one schema, each with a data directory of its own: they share nothing but the database.
  for (let i = 0; i < 2; i++) {
    replicas.push(await startTestServer({ ledger: 'sqlite', configure: (c) => void (c.ledger.url = schema.url) }));
  }
  admin = new pg.Client({ connectionString: schema.url });
  await admin.connect();
}, 60_000);
afterAll(async () => {
  await admin?.end();
  for (const replica of replicas) await replica.close();
  await schema?.drop();
});

const register = (server: TestServer, libraryId: string, image: Buffer, externalImageId: string) =>
  resultOf(
    server.url,
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ` +
      `... on RegisterFaceSuccess { face { id imageSha256 } } ${errorsOf('registerFace')} } }`,
    { i: { libraryId, image: { base64: image.toString('base64') }, externalImageId } },
  );

test(
  'a face registered on one replica is found by a search on the other; ' + 'its image bytes live in the ledger',
  async () => {
    const created = await resultOf(
      replicas[0].url,
      `mutation { createLibrary(input: { providerId: "local", ` +
        `name: "shared" }) { ... on CreateLibrarySuccess { library { id } } } }`,
    );
    const libraryId = created.library.id;
    const photo = await facePhoto('A', 'jpeg');
    const registered = await register(replicas[0], libraryId, photo, 'a1');
    expect(registered.__typename).toBe('RegisterFaceSuccess');
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM local_images WHERE sha256 = $1`, [
      registered.face.imageSha256,
    ]);
    expect(rows[0].n).toBe(1);

    const search = await resultOf(
      replicas[1].url,
      `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, ` +
        `image: $i) { __typename ... on SearchFacesSuccess { matches { face { id } } } } }`,
      { l: libraryId, i: { base64: (await facePhoto('A', 'png', 2)).toString('base64') } },
    );
    expect(search.matches.map((m: { face: { id: string } }) => m.face.id)).toEqual([registered.face.id]);

    const deleted = await resultOf(
      replicas[1].url,
      `mutation($l: ID!, $f: [ID!]) { deleteFaces(libraryId: $l, ` +
        `filter: { faceIds: $f }) { ... on DeleteFacesSuccess { deletedCount } } }`,
      { l: libraryId, f: [registered.face.id] },
    );
    expect(deleted.deletedCount).toBe(1);
    const after = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM local_images`);
    expect(after.rows[0].n).toBe(0);
    for (const replica of replicas) {
      const images = path.join(replica.dataDir, 'images');
      expect(fs.existsSync(images) ? fs.readdirSync(images) : []).toEqual([]);
    }
  },
);
