import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { startAzureFaceEmulator, type AzureFaceEmulator } from '../emulators/azure-face';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { face as conventionFace } from '../support/convention-images';
import { frsProvider, startTestFrs } from '../support/frs';
import { errorsOf, resultOf } from '../support/graphql-results';
import { startTestServer, type TestServer } from '../support/test-server';

// Face.imageUrl for cloud providers, whose vendors never give an image back: the gateway keeps what it saw at
// registration (images.keep), through the FRS and Azure emulators, and lets it go with the last face that used it.

const AZURE_KEY = 'emulator-subscription-key-0001';
/** The emulators box the central half of a one-face image: (150, 150, 300, 300) on this 600 px square. */
const SIDE = 600;

let frs: FrsEmulator;
let azure: AzureFaceEmulator;

beforeAll(async () => {
  frs = await startTestFrs();
  azure = await startAzureFaceEmulator({ subscriptionKeys: [AZURE_KEY], trainingMs: 50 });
});
afterAll(async () => {
  await frs?.close();
  await azure?.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function startWith(keep: 'thumbnail' | 'full' | 'none'): Promise<TestServer> {
  return startTestServer({
    ledger: 'sqlite',
    configure: (c) => {
      c.images.keep = keep;
      c.providers = [
        frsProvider(frs, { timeoutMs: 1_000 }),
        {
          id: 'az',
          kind: 'AZURE_FACE',
          endpoint: azure.endpoint,
          credentials: { subscriptionKey: AZURE_KEY },
          timeoutMs: 1_000,
        },
      ];
    },
  });
}

function client(server: TestServer) {
  const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);
  return {
    op,
    async createLibrary(providerId: string, name: string): Promise<string> {
      const result = await op(
        `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
        ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
        { i: { providerId, name } },
      );
      return result.library.id;
    },
    async register(
      input: Record<string, unknown>,
    ): Promise<{ id: string; imageUrl: string | null; boundingBox: unknown }> {
      const result = await op(
        `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
        ... on RegisterFaceSuccess { face { id imageUrl(maxSide: 1024) boundingBox { x y width height } } }
        ${errorsOf('registerFace')} } }`,
        {
          i: input,
        },
      );
      if (result.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(result));
      return result.face;
    },
    async imageUrl(faceId: string, args = '(maxSide: 1024)'): Promise<string | null> {
      return (await op(`query($id: ID!) { face(id: $id) { imageUrl${args} } }`, { id: faceId })).imageUrl;
    },
    async deleteFaces(libraryId: string, faceIds: string[]): Promise<number> {
      const result = await op(
        `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f) { __typename
        ... on DeleteFacesSuccess { deletedCount } ${errorsOf('deleteFaces')} } }`,
        { l: libraryId, f: { faceIds } },
      );
      return result.deletedCount;
    },
  };
}

async function fetchImage(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

describe('images.keep: thumbnail (the default)', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    server = await startWith('thumbnail');
    api = client(server);
  });
  afterAll(async () => server?.close());

  test('HUAWEI_FRS: a 256 px JPEG is kept, shown at most that size and cut around the FRS box', async () => {
    const image = await conventionFace(11, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-thumbs');
    const face = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    expect(face.boundingBox).toEqual({ x: 150, y: 150, width: 300, height: 300 });
    const kept = await server.facegraph.ledger.faceImages.keptImage(sha256(image));
    expect(kept).toMatchObject({ originalWidth: SIDE, originalHeight: SIDE });
    expect(await sharp(kept!.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 256, height: 256 });

    expect(await fetchImage(face.imageUrl!)).toEqual({ format: 'jpeg', width: 256, height: 256 });
    // The box with a quarter of its side on each side, (75, 75)-(525, 525), scaled by 256/600 to the thumbnail.
    const side = Math.ceil(525 * (256 / SIDE)) - Math.floor(75 * (256 / SIDE));
    const cropped = await fetchImage((await api.imageUrl(face.id, '(maxSide: 1024, crop: FACE)'))!);
    expect(cropped).toEqual({ format: 'jpeg', width: side, height: side });
    expect(await fetchImage((await api.imageUrl(face.id, '(maxSide: 64)'))!)).toEqual({
      format: 'jpeg',
      width: 64,
      height: 64,
    });
  });

  test('deleting a face releases its kept image only once no other face uses it', async () => {
    const image = await conventionFace(12, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-shared');
    const first = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    const second = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    const digest = sha256(image);

    expect(await api.deleteFaces(libraryId, [first.id])).toBe(1);
    expect(await server.facegraph.ledger.faceImages.keptImage(digest)).not.toBeNull();
    expect((await fetch(first.imageUrl!)).status).toBe(404);
    expect((await fetch(second.imageUrl!)).status).toBe(200);

    expect(await api.deleteFaces(libraryId, [second.id])).toBe(1);
    expect(await server.facegraph.ledger.faceImages.keptImage(digest)).toBeNull();
    expect((await fetch(second.imageUrl!)).status).toBe(404);
  });

  test('deleteLibrary releases the kept images of its faces', async () => {
    const image = await conventionFace(16, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-library');
    const face = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    expect(await server.facegraph.ledger.faceImages.keptImage(sha256(image))).not.toBeNull();
    const deleted = await api.op(
      `mutation($id: ID!) { deleteLibrary(id: $id) { __typename ${errorsOf('deleteLibrary')} } }`,
      { id: libraryId },
    );
    expect(deleted.__typename).toBe('DeleteLibrarySuccess');
    expect(await server.facegraph.ledger.faceImages.keptImage(sha256(image))).toBeNull();
    expect((await fetch(face.imageUrl!)).status).toBe(404);
  });

  test('the start-up sweep removes kept images no face references (what a crash after a commit leaves)', async () => {
    const image = await conventionFace(17, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-sweep');
    await api.register({ libraryId, image: { base64: image.toString('base64') } });
    const orphan = 'f'.repeat(64);
    await server.facegraph.ledger.faceImages.putKeptImage(orphan, {
      bytes: Buffer.from('x'),
      originalWidth: 1,
      originalHeight: 1,
    });
    await server.facegraph.services.storedImages.sweep();
    expect(await server.facegraph.ledger.faceImages.keptImage(orphan)).toBeNull();
    expect(await server.facegraph.ledger.faceImages.keptImage(sha256(image))).not.toBeNull();
  });

  test('AZURE_FACE: kept images go with deletePerson; with no box (no LARGEST) crop FACE shows it whole', async () => {
    const image = await conventionFace(13, 'jpeg', 90, SIDE);
    const libraryId = await api.createLibrary('az', 'kept-azure');
    const person = await api.op(
      `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename
      ... on CreatePersonSuccess { person { id } } ${errorsOf('createPerson')} } }`,
      { i: { libraryId, name: 'Ada' } },
    );
    const face = await api.register({
      libraryId,
      personId: person.person.id,
      image: { base64: image.toString('base64') },
    });
    expect(face.boundingBox).toBeNull();
    expect(await fetchImage(face.imageUrl!)).toEqual({ format: 'jpeg', width: 256, height: 256 });
    expect(await fetchImage((await api.imageUrl(face.id, '(maxSide: 1024, crop: FACE)'))!)).toEqual({
      format: 'jpeg',
      width: 256,
      height: 256,
    });
    const boxed = await api.register({
      libraryId,
      personId: person.person.id,
      image: { base64: (await conventionFace(14, 'jpeg', 90, SIDE)).toString('base64') },
      faceSelection: 'LARGEST',
    });
    expect(boxed.boundingBox).toEqual({ x: 150, y: 150, width: 300, height: 300 });
    expect((await fetchImage((await api.imageUrl(boxed.id, '(maxSide: 1024, crop: FACE)'))!)).width).toBeLessThan(256);

    const deleted = await api.op(
      `mutation($id: ID!) { deletePerson(id: $id) { __typename ... on DeletePersonSuccess { deletedFaceCount } } }`,
      {
        id: person.person.id,
      },
    );
    expect(deleted).toEqual({ __typename: 'DeletePersonSuccess', deletedFaceCount: 2 });
    expect(await server.facegraph.ledger.faceImages.keptImage(sha256(image))).toBeNull();
    expect((await fetch(face.imageUrl!)).status).toBe(404);
  });

  test('a face registered from a URL the vendor downloads itself has no image: imageUrl is null', async () => {
    const url = 'https://images.example.com/grace.jpg';
    azure.images.set(url, await conventionFace(15, 'jpeg', 90, SIDE));
    const libraryId = await api.createLibrary('az', 'kept-by-url');
    const person = await api.op(
      `mutation($i: CreatePersonInput!) { createPerson(input: $i) { ... on CreatePersonSuccess { person { id } } } }`,
      {
        i: { libraryId, name: 'Grace' },
      },
    );
    const face = await api.register({ libraryId, personId: person.person.id, image: { url } });
    expect(face.imageUrl).toBeNull();
  });
});

test('images.keep: full keeps the image as registered', async () => {
  const server = await startWith('full');
  try {
    const api = client(server);
    const image = await conventionFace(21, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-full');
    const face = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    expect((await server.facegraph.ledger.faceImages.keptImage(sha256(image)))!.bytes.equals(image)).toBe(true);
    expect(await fetchImage(face.imageUrl!)).toEqual({ format: 'jpeg', width: SIDE, height: SIDE });
    expect(await fetchImage((await api.imageUrl(face.id, '(maxSide: 1024, crop: FACE)'))!)).toEqual({
      format: 'jpeg',
      width: 450,
      height: 450,
    });
  } finally {
    await server.close();
  }
});

test('images.keep: none keeps nothing, and imageUrl is null', async () => {
  const server = await startWith('none');
  try {
    const api = client(server);
    const image = await conventionFace(31, 'png', 90, SIDE);
    const libraryId = await api.createLibrary('hw', 'kept-none');
    const face = await api.register({ libraryId, image: { base64: image.toString('base64') } });
    expect(face.imageUrl).toBeNull();
    expect(await server.facegraph.ledger.faceImages.keptImage(sha256(image))).toBeNull();
  } finally {
    await server.close();
  }
});
