import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import {
  CreateLibraryDocument,
  DeleteFacesDocument,
  RegisterFaceDocument,
  SearchFacesDocument,
  type RegisterFaceInput,
} from '../generated/graphql';
import {
  FACE_A,
  FACE_B,
  faceFreePhoto,
  resizedCopy,
  samplePhoto,
  singleFacePhoto,
  THREE_FACE_SAMPLE,
} from '../support/face-photos';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

// The LOCAL provider detects, rejects and searches faces with its real engine, over real HTTP.

let server: TestServer;
let libraryId: string;
let faceA: Buffer;
let faceB: Buffer;

const b64 = (bytes: Buffer) => bytes.toString('base64');

async function newLibrary(s: TestServer, name: string): Promise<string> {
  const { createLibrary } = await execute(s.url, CreateLibraryDocument, { input: { providerId: 'local', name } });
  if (createLibrary.__typename !== 'CreateLibrarySuccess') throw new Error(JSON.stringify(createLibrary));
  return createLibrary.library.id;
}

async function register(input: RegisterFaceInput, s = server) {
  return (await execute(s.url, RegisterFaceDocument, { input })).registerFace;
}

async function search(image: Buffer, threshold?: number) {
  const query = `query($libraryId: ID!, $image: ImageInput!, $threshold: Float) {
    searchFaces(libraryId: $libraryId, image: $image, threshold: $threshold) {
      __typename
      ... on SearchFacesSuccess { matches { similarity face { id externalImageId } } }
      ... on Error { code message }
      ... on ImageRejectedError { reason }
    }
  }`;
  const response = await gql(server.url, query, { libraryId, image: { base64: b64(image) }, threshold });
  return response.data!.searchFaces;
}

beforeAll(async () => {
  server = await startTestServer();
  libraryId = await newLibrary(server, 'engine');
  faceA = await singleFacePhoto(FACE_A);
  faceB = await singleFacePhoto(FACE_B);
});
afterAll(async () => server?.close());

describe('registerFace on LOCAL', () => {
  test('a single-face photo registers with its bounding box inside the image', async () => {
    const result = await register({ libraryId, image: { base64: b64(faceA) }, externalImageId: 'person-a' });
    expect(result).toMatchObject({ __typename: 'RegisterFaceSuccess', replayed: false });
    const box = (result as { face: { boundingBox: { x: number; y: number; width: number; height: number } } }).face
      .boundingBox;
    const { width = 0, height = 0 } = await sharp(faceA).metadata();
    expect(box.width).toBeGreaterThan(width / 4);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
    expect(box.y + box.height).toBeLessThanOrEqual(height);
  });

  test('the three-face photo is rejected with MULTIPLE_FACES', async () => {
    const result = await register({ libraryId, image: { base64: b64(samplePhoto(THREE_FACE_SAMPLE)) } });
    expect(result).toMatchObject({
      __typename: 'ImageRejectedError',
      code: 'IMAGE_REJECTED',
      reason: 'MULTIPLE_FACES',
    });
    expect((result as { message: string }).message).toMatch(/3 faces.*faceSelection: LARGEST/);
  });

  test('the three-face photo is accepted with faceSelection LARGEST, which keeps the largest face', async () => {
    const query = `mutation($input: RegisterFaceInput!) { registerFace(input: $input) {
      __typename ... on RegisterFaceSuccess { detectedFaceCount face { boundingBox { width height } } } } }`;
    const response = await gql(server.url, query, {
      input: { libraryId, image: { base64: b64(samplePhoto(THREE_FACE_SAMPLE)) }, faceSelection: 'LARGEST' },
    });
    const result = response.data!.registerFace;
    expect(result).toMatchObject({ __typename: 'RegisterFaceSuccess', detectedFaceCount: 3 });
    expect(result.face.boundingBox.width).toBeGreaterThan(100);
  });

  test('a photo with no face is rejected with NO_FACE', async () => {
    const result = await register({ libraryId, image: { base64: b64(await faceFreePhoto()) } });
    expect(result).toMatchObject({ __typename: 'ImageRejectedError', reason: 'NO_FACE' });
  });

  test('a face too small to describe is rejected with TOO_SMALL', async () => {
    // The whole three-face photo shrunk to 320 px: the detector still finds its faces, about 31-34 px wide.
    const shrunk = await sharp(samplePhoto(THREE_FACE_SAMPLE)).resize({ width: 320 }).jpeg().toBuffer();
    const result = await register({ libraryId, image: { base64: b64(shrunk) }, faceSelection: 'LARGEST' });
    expect(result).toMatchObject({ __typename: 'ImageRejectedError', reason: 'TOO_SMALL' });
    expect((result as { message: string }).message).toMatch(/at least 40 px/);
  });

  test('an allow-listed image URL is fetched by the server and registered', async () => {
    const imageHost = http.createServer((_req, res) => {
      res.setHeader('content-type', 'image/jpeg');
      res.end(faceB);
    });
    await new Promise<void>((resolve) => imageHost.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}/b.jpg`;
    const allowing = await startTestServer({ configure: (c) => void (c.images.urlFetch.allowList = ['127.0.0.1']) });
    try {
      const lib = await newLibrary(allowing, 'by-url');
      expect(await register({ libraryId: lib, image: { url } }, allowing)).toMatchObject({
        __typename: 'RegisterFaceSuccess',
      });
    } finally {
      await allowing.close();
      await new Promise<void>((resolve) => imageHost.close(() => resolve()));
    }
  });
});

describe('searchFaces on LOCAL', () => {
  beforeAll(async () => {
    await register({ libraryId, image: { base64: b64(faceB) }, externalImageId: 'person-b' });
  });

  test('finds a registered face again from a resized, re-encoded copy, with high similarity', async () => {
    const result = await search(await resizedCopy(faceA, 0.6, 70));
    expect(result.__typename).toBe('SearchFacesSuccess');
    expect(result.matches[0].face.externalImageId).toBe('person-a');
    expect(result.matches[0].similarity).toBeGreaterThan(0.8);
    expect(result.matches.map((m: { face: { externalImageId: string } }) => m.face.externalImageId)).not.toContain(
      'person-b',
    );
  });

  test('returns a different person only when the threshold is lowered below their similarity', async () => {
    const strict = await search(await resizedCopy(faceB, 0.7, 75));
    expect(strict.matches.map((m: { face: { externalImageId: string } }) => m.face.externalImageId)).toEqual([
      'person-b',
    ]);
    const loose = await search(await resizedCopy(faceB, 0.7, 75), 0);
    expect(loose.matches.length).toBeGreaterThan(1);
    const others = loose.matches.filter(
      (m: { face: { externalImageId: string } }) => m.face.externalImageId !== 'person-b',
    );
    expect(others.every((m: { similarity: number }) => m.similarity < 0.6)).toBe(true);
  });

  test('answers from the current library after faces are deleted and registered (no stale descriptors)', async () => {
    const lib = await newLibrary(server, 'search-after-changes');
    const probe = await resizedCopy(faceA, 0.6, 70);
    const found = async () => {
      const { searchFaces } = await execute(server.url, SearchFacesDocument, {
        libraryId: lib,
        image: { base64: b64(probe) },
      });
      if (searchFaces.__typename !== 'SearchFacesSuccess') throw new Error(JSON.stringify(searchFaces));
      return searchFaces.matches.map((m) => m.face.id);
    };
    expect(await found()).toEqual([]);
    const first = await register({ libraryId: lib, image: { base64: b64(faceA) } });
    if (first.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(first));
    expect(await found()).toEqual([first.face.id]);
    expect(await found()).toEqual([first.face.id]);
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId: lib,
      filter: { faceIds: [first.face.id] },
    });
    expect(deleteFaces).toMatchObject({ __typename: 'DeleteFacesSuccess', deletedCount: 1 });
    expect(await found()).toEqual([]);
    const second = await register({ libraryId: lib, image: { base64: b64(faceA) }, externalImageId: 'again' });
    if (second.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(second));
    expect(await found()).toEqual([second.face.id]);
  });

  test('a face registered after the newest one was deleted is searched with its own descriptor', async () => {
    const lib = await newLibrary(server, 'search-after-reuse');
    const registered = async (image: Buffer, externalImageId: string) => {
      const result = await register({ libraryId: lib, image: { base64: b64(image) }, externalImageId });
      if (result.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(result));
      return result.face.id;
    };
    const found = async (probe: Buffer) => {
      const { searchFaces } = await execute(server.url, SearchFacesDocument, {
        libraryId: lib,
        image: { base64: b64(probe) },
      });
      if (searchFaces.__typename !== 'SearchFacesSuccess') throw new Error(JSON.stringify(searchFaces));
      return searchFaces.matches.map((m) => m.face.id);
    };
    const probeA = await resizedCopy(faceA, 0.6, 70);
    const probeB = await resizedCopy(faceB, 0.7, 75);
    const a = await registered(faceA, 'a');
    const b = await registered(faceB, 'b');
    expect(await found(probeB)).toEqual([b]); // the library's descriptors are now cached
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId: lib,
      filter: { faceIds: [b] },
    });
    expect(deleteFaces).toMatchObject({ __typename: 'DeleteFacesSuccess', deletedCount: 1 });
    const again = await registered(faceA, 'a-again'); // the newest face was deleted: its row id must not come back
    expect(await found(probeB)).toEqual([]);
    expect((await found(probeA)).sort()).toEqual([a, again].sort());
  });

  test('after an older face is deleted, search drops exactly that face and keeps the others', async () => {
    const lib = await newLibrary(server, 'search-after-delete');
    const registered = async (image: Buffer) => {
      const result = await register({ libraryId: lib, image: { base64: b64(image) } });
      if (result.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(result));
      return result.face.id;
    };
    const found = async (probe: Buffer) => {
      const { searchFaces } = await execute(server.url, SearchFacesDocument, {
        libraryId: lib,
        image: { base64: b64(probe) },
      });
      if (searchFaces.__typename !== 'SearchFacesSuccess') throw new Error(JSON.stringify(searchFaces));
      return searchFaces.matches.map((m) => m.face.id).sort();
    };
    const probeA = await resizedCopy(faceA, 0.6, 70);
    const probeB = await resizedCopy(faceB, 0.7, 75);
    const a1 = await registered(faceA);
    const b = await registered(faceB);
    const a2 = await registered(faceA);
    expect(await found(probeA)).toEqual([a1, a2].sort()); // cached
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId: lib,
      filter: { faceIds: [a1] },
    });
    expect(deleteFaces).toMatchObject({ __typename: 'DeleteFacesSuccess', deletedCount: 1 });
    expect(await found(probeA)).toEqual([a2]);
    expect(await found(probeB)).toEqual([b]);
  });

  test('a probe without a face is ImageRejectedError NO_FACE', async () => {
    expect(await search(await faceFreePhoto())).toMatchObject({ __typename: 'ImageRejectedError', reason: 'NO_FACE' });
  });

  test('topN and threshold outside their ranges are InvalidInputError', async () => {
    const { searchFaces } = await execute(server.url, SearchFacesDocument, {
      libraryId,
      image: { base64: b64(faceA) },
    });
    expect(searchFaces.__typename).toBe('SearchFacesSuccess');
    const bad = await gql(
      server.url,
      `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, image: $i, ` +
        `threshold: 1.5) { __typename ... on InvalidInputError { field } } }`,
      {
        l: libraryId,
        i: { base64: b64(faceA) },
      },
    );
    expect(bad.data!.searchFaces).toEqual({ __typename: 'InvalidInputError', field: 'threshold' });
  });
});

describe('the face engine runs off the event loop', () => {
  test('a cheap query keeps answering while registrations are running', async () => {
    const events: string[] = [];
    const registrations = Array.from({ length: 6 }, (_, i) =>
      register({ libraryId, image: { base64: b64(i % 2 ? faceA : faceB) } }).then(() => events.push('registered')),
    );
    const cheap = (async () => {
      for (let i = 0; i < 5; i++) {
        await gql(server.url, '{ providers { id } }');
        events.push('cheap');
      }
    })();
    await Promise.all([...registrations, cheap]);
    // All five cheap queries were answered before the last registration finished (six images keep both workers busy).
    const lastRegistration = events.lastIndexOf('registered');
    expect(events.slice(0, lastRegistration).filter((e) => e === 'cheap')).toHaveLength(5);
  });

  test('a full engine queue answers RateLimitedError with a retry hint instead of hanging', async () => {
    const small = await startTestServer({ configure: (c) => void (c.faceEngine = { workers: 1, maxQueue: 1 }) });
    try {
      const lib = await newLibrary(small, 'busy');
      const results = await Promise.all(
        Array.from({ length: 6 }, () => register({ libraryId: lib, image: { base64: b64(faceA) } }, small)),
      );
      const limited = results.filter((r) => r.__typename === 'RateLimitedError');
      expect(limited.length).toBeGreaterThan(0);
      for (const r of limited) expect((r as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(results.filter((r) => r.__typename === 'RegisterFaceSuccess').length).toBeGreaterThan(0);
      const retry = await gql(
        small.url,
        `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }`,
        { i: { libraryId: lib, image: { base64: b64(faceA) } } },
      );
      expect(retry.data!.registerFace.__typename).toBe('RegisterFaceSuccess');
    } finally {
      await small.close();
    }
  });
});
