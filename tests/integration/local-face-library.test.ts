import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateLibraryDocument,
  CreatePersonDocument,
  DeleteFacesDocument,
  DeleteLibraryDocument,
  LibraryFacesDocument,
  NodeDocument,
  ProvidersDocument,
  RegisterFaceDocument,
  SyncLibraryDocument,
  UpdateFaceDocument,
  type RegisterFaceInput,
} from '../generated/graphql';
import { facePhoto, makeImage } from '../support/images';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

// The whole life of a LOCAL library, driven over real HTTP against the real server and SQLite file.

let server: TestServer;
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  server = await startTestServer();
  jpeg = await facePhoto('A', 'jpeg');
  png = await facePhoto('B', 'png');
});
afterAll(async () => server?.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const storedImagePath = (sha: string) => path.join(server.dataDir, 'images', sha.slice(0, 2), sha);

async function createLibrary(name: string) {
  const { createLibrary } = await execute(server.url, CreateLibraryDocument, {
    input: {
      providerId: 'local',
      name,
      displayName: `Library ${name}`,
      fields: [
        { name: 'dept', type: 'STRING' },
        { name: 'level', type: 'INTEGER' },
        { name: 'vip', type: 'BOOLEAN' },
      ],
    },
  });
  if (createLibrary.__typename !== 'CreateLibrarySuccess')
    throw new Error(`createLibrary failed: ${JSON.stringify(createLibrary)}`);
  return createLibrary.library;
}

async function registerFace(input: RegisterFaceInput) {
  return (await execute(server.url, RegisterFaceDocument, { input })).registerFace;
}

async function registeredFace(input: RegisterFaceInput) {
  const result = await registerFace(input);
  if (result.__typename !== 'RegisterFaceSuccess') throw new Error(`registerFace failed: ${JSON.stringify(result)}`);
  return result.face;
}

async function libraryFaces(id: string, filter?: Record<string, unknown>, first?: number, after?: string) {
  const { library } = await execute(server.url, LibraryFacesDocument, { id, filter, first, after });
  return library!;
}

describe('the LOCAL provider', () => {
  test('is listed with what it can do', async () => {
    const { providers } = await execute(server.url, ProvidersDocument);
    expect(providers).toEqual([
      {
        id: 'local',
        kind: 'LOCAL',
        capabilities: {
          createLibrary: 'NATIVE',
          registerFace: 'NATIVE',
          updateFace: 'NATIVE',
          deleteFaces: 'NATIVE',
          deleteFacesByFilter: 'NATIVE',
          customFields: 'NATIVE',
          persons: 'NATIVE',
          searchFaces: 'NATIVE',
          imageUrl: true,
          imageBase64: true,
          maxFacesPerPerson: null,
          requiresTraining: false,
        },
      },
    ]);
  });
});

describe('a library from creation to deletion of its faces', () => {
  let libraryId: string;
  let personId: string;
  let jpegFaceId: string;
  let pngFaceId: string;

  test('createLibrary records the library with its field schema', async () => {
    const library = await createLibrary('staff');
    libraryId = library.id;
    expect(library).toMatchObject({
      name: 'staff',
      displayName: 'Library staff',
      faceCount: 0,
      personCount: 0,
      provider: { id: 'local', kind: 'LOCAL' },
      fieldSchema: [
        { name: 'dept', type: 'STRING' },
        { name: 'level', type: 'INTEGER' },
        { name: 'vip', type: 'BOOLEAN' },
      ],
    });
    expect(libraryId).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('createPerson adds a person to the library', async () => {
    const { createPerson } = await execute(server.url, CreatePersonDocument, {
      input: { libraryId, externalId: 'emp-42', name: 'Ada Lovelace', userData: 'first programmer' },
    });
    expect(createPerson).toMatchObject({
      __typename: 'CreatePersonSuccess',
      person: { externalId: 'emp-42', name: 'Ada Lovelace', userData: 'first programmer', library: { id: libraryId } },
    });
    personId = (createPerson as { person: { id: string } }).person.id;
  });

  test('registerFace stores a base64 JPEG and a base64 PNG, content-addressed on disk', async () => {
    const fromJpeg = await registeredFace({
      libraryId,
      personId,
      image: { base64: jpeg.toString('base64') },
      externalImageId: 'badge-photo',
      fields: { dept: 'sales', level: 3, vip: true },
      userData: 'front desk',
    });
    const fromPng = await registeredFace({
      libraryId,
      image: { base64: `data:image/png;base64,${png.toString('base64')}` },
      fields: { dept: 'research', level: 5 },
    });
    jpegFaceId = fromJpeg.id;
    pngFaceId = fromPng.id;

    expect(fromJpeg).toMatchObject({
      externalImageId: 'badge-photo',
      fields: { dept: 'sales', level: 3, vip: true },
      userData: 'front desk',
      imageSha256: sha256(jpeg),
      status: 'ACTIVE',
      person: { id: personId },
      library: { id: libraryId },
    });
    expect(fromPng).toMatchObject({ imageSha256: sha256(png), person: null, fields: { dept: 'research', level: 5 } });
    expect(fs.readFileSync(storedImagePath(sha256(jpeg)))).toEqual(jpeg);
    expect(fs.readFileSync(storedImagePath(sha256(png)))).toEqual(png);
  });

  test('faces(filter) on a custom field returns exactly the matching faces', async () => {
    await registeredFace({
      libraryId,
      personId,
      image: { base64: png.toString('base64') },
      fields: { dept: 'sales', level: 1 },
    });

    const sales = await libraryFaces(libraryId, { fields: { dept: 'sales' } });
    expect(sales.faces.totalCount).toBe(2);
    expect(sales.faces.edges.map((e) => e.node.fields)).toEqual([
      { dept: 'sales', level: 3, vip: true },
      { dept: 'sales', level: 1 },
    ]);
    const salesLevel3 = await libraryFaces(libraryId, { fields: { dept: 'sales', level: 3 } });
    expect(salesLevel3.faces.edges.map((e) => e.node.id)).toEqual([jpegFaceId]);
    const byPerson = await libraryFaces(libraryId, { personId });
    expect(byPerson.faces.totalCount).toBe(2);
    expect(byPerson.faces.edges.every((e) => e.node.person?.id === personId)).toBe(true);
    const byExternalImageId = await libraryFaces(libraryId, { externalImageId: 'badge-photo' });
    expect(byExternalImageId.faces.edges.map((e) => e.node.id)).toEqual([jpegFaceId]);
    expect((await libraryFaces(libraryId)).faceCount).toBe(3);
    expect((await libraryFaces(libraryId)).personCount).toBe(1);
  });

  test('faces pages with cursors and keeps totalCount', async () => {
    const first = await libraryFaces(libraryId, undefined, 2);
    expect(first.faces.edges).toHaveLength(2);
    expect(first.faces.pageInfo.hasNextPage).toBe(true);
    expect(first.faces.totalCount).toBe(3);
    const second = await libraryFaces(libraryId, undefined, 2, first.faces.pageInfo.endCursor!);
    expect(second.faces.edges).toHaveLength(1);
    expect(second.faces.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.faces.edges, ...second.faces.edges].map((e) => e.node.id);
    expect(new Set(seen).size).toBe(3);
  });

  test(
    'totalCount is counted when asked for through a named or an inline fragment, ' + 'and aliases keep their own',
    async () => {
      const query = `query($id: ID!) {
      library(id: $id) {
        plain: faces(first: 1) { edges { node { id } } }
        named: faces(first: 1) { ...Counted }
        inline: faces(first: 1, filter: { fields: { dept: "sales" } }) { ... on FaceConnection { totalCount } }
      }
    }
    fragment Counted on FaceConnection { totalCount pageInfo { hasNextPage } }`;
      const response = await gql(server.url, query, { id: libraryId });
      expect(response.errors).toBeUndefined();
      expect(response.data!.library).toMatchObject({
        plain: { edges: [expect.anything()] },
        named: { totalCount: 3, pageInfo: { hasNextPage: true } },
        inline: { totalCount: 2 },
      });
    },
  );

  test('updateFace changes the external image id and merges fields, and filters see the change', async () => {
    const { updateFace } = await execute(server.url, UpdateFaceDocument, {
      input: { faceId: pngFaceId, externalImageId: 'lab-photo', fields: { dept: 'sales', level: null } },
    });
    expect(updateFace).toMatchObject({
      __typename: 'UpdateFaceSuccess',
      face: { id: pngFaceId, externalImageId: 'lab-photo', fields: { dept: 'sales' } },
    });
    const sales = await libraryFaces(libraryId, { fields: { dept: 'sales' } });
    expect(sales.faces.edges.map((e) => e.node.id)).toContain(pngFaceId);
    expect((await libraryFaces(libraryId, { fields: { dept: 'research' } })).faces.totalCount).toBe(0);
  });

  test('deleteFaces with dryRun reports the match and the plan and deletes nothing', async () => {
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId,
      filter: { fields: { dept: 'sales' } },
      dryRun: true,
    });
    expect(deleteFaces).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      dryRun: true,
      matchedCount: 3,
      deletedCount: 0,
      deletedFaceIds: [],
      failures: [],
      plan: { strategy: 'NATIVE', vendorCalls: 1 },
    });
    expect((await libraryFaces(libraryId)).faceCount).toBe(3);
  });

  test('deleteFaces deletes exactly the matched faces and their unreferenced images', async () => {
    const before = await libraryFaces(libraryId, { personId });
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, { libraryId, filter: { personId } });
    expect(deleteFaces).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      dryRun: false,
      matchedCount: 2,
      deletedCount: 2,
      failures: [],
    });
    expect(new Set((deleteFaces as { deletedFaceIds: string[] }).deletedFaceIds)).toEqual(
      new Set(before.faces.edges.map((e) => e.node.id)),
    );

    const remaining = await libraryFaces(libraryId);
    expect(remaining.faces.edges.map((e) => e.node.id)).toEqual([pngFaceId]);
    // The JPEG belonged only to deleted faces; the PNG is still used by the remaining face.
    expect(fs.existsSync(storedImagePath(sha256(jpeg)))).toBe(false);
    expect(fs.existsSync(storedImagePath(sha256(png)))).toBe(true);
  });

  test('deleteFaces by id reports an unknown face as a failure next to the deleted ones', async () => {
    const unknownFace = Buffer.from(JSON.stringify([1, 'F', 'local', 'staff', 'no-such-face'])).toString('base64url');
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId,
      filter: { faceIds: [pngFaceId, unknownFace] },
    });
    expect(deleteFaces).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 1,
      deletedCount: 1,
      deletedFaceIds: [pngFaceId],
      failures: [{ faceId: unknownFace, error: { __typename: 'NotFoundError', code: 'NOT_FOUND' } }],
      plan: { strategy: 'NATIVE', vendorCalls: 1 },
    });
    expect((await libraryFaces(libraryId)).faceCount).toBe(0);
  });
});

describe('errors are typed union members that say what is wrong', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('errors')).id;
  });

  test('a duplicate library name is AlreadyExistsError', async () => {
    const { createLibrary } = await execute(server.url, CreateLibraryDocument, {
      input: { providerId: 'local', name: 'errors' },
    });
    expect(createLibrary).toMatchObject({
      __typename: 'AlreadyExistsError',
      code: 'ALREADY_EXISTS',
      resource: 'LIBRARY',
      id: 'errors',
    });
    expect((createLibrary as { message: string }).message).toContain("'errors' already exists");
  });

  test('an unknown provider is NotFoundError PROVIDER', async () => {
    const { createLibrary } = await execute(server.url, CreateLibraryDocument, {
      input: { providerId: 'nope', name: 'x' },
    });
    expect(createLibrary).toMatchObject({ __typename: 'NotFoundError', resource: 'PROVIDER', id: 'nope' });
  });

  test('a library name outside the rules is InvalidInputError naming the rule', async () => {
    const { createLibrary } = await execute(server.url, CreateLibraryDocument, {
      input: { providerId: 'local', name: 'has space' },
    });
    expect(createLibrary).toMatchObject({ __typename: 'InvalidInputError', field: 'input.name' });
    expect((createLibrary as { message: string }).message).toMatch(/1-64 letters, digits/);
  });

  test('a malformed id is InvalidInputError, a well-formed unknown one NotFoundError', async () => {
    const image = { base64: png.toString('base64') };
    expect(await registerFace({ libraryId: 'not-an-id!', image })).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
      field: 'input.libraryId',
      constraint: 'GLOBAL_ID',
    });
    const unknownLibrary = Buffer.from(JSON.stringify([1, 'L', 'local', 'ghost'])).toString('base64url');
    expect(await registerFace({ libraryId: unknownLibrary, image })).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      resource: 'LIBRARY',
      id: unknownLibrary,
    });
    const { updateFace } = await execute(server.url, UpdateFaceDocument, {
      input: {
        faceId: Buffer.from(JSON.stringify([1, 'F', 'local', 'errors', 'ghost'])).toString('base64url'),
        userData: 'x',
      },
    });
    expect(updateFace).toMatchObject({ __typename: 'NotFoundError', resource: 'FACE' });
  });

  test('an id of the wrong type is InvalidInputError', async () => {
    const result = await registerFace({ libraryId, personId: libraryId, image: { base64: png.toString('base64') } });
    expect(result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.personId',
      constraint: 'GLOBAL_ID_TYPE',
    });
  });

  test('a custom field of the wrong type is InvalidInputError naming the field and the type', async () => {
    const result = await registerFace({
      libraryId,
      image: { base64: png.toString('base64') },
      fields: { level: 'three' },
    });
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.fields.level' });
    expect((result as { message: string }).message).toContain('INTEGER');
    const undeclared = await registerFace({
      libraryId,
      image: { base64: png.toString('base64') },
      fields: { salary: 1 },
    });
    expect(undeclared).toMatchObject({ __typename: 'InvalidInputError', field: 'input.fields.salary' });
    expect((undeclared as { message: string }).message).toMatch(/dept/);
  });

  test('bytes that are not an image are ImageRejectedError UNSUPPORTED_FORMAT', async () => {
    const result = await registerFace({
      libraryId,
      image: { base64: Buffer.from('just some text, not a picture').toString('base64') },
    });
    expect(result).toMatchObject({
      __typename: 'ImageRejectedError',
      code: 'IMAGE_REJECTED',
      reason: 'UNSUPPORTED_FORMAT',
    });
    expect((result as { message: string }).message).toMatch(/JPEG/);
  });

  test('an image below the minimum size is ImageRejectedError TOO_SMALL', async () => {
    const tiny = await makeImage('png', 8, 8);
    expect(await registerFace({ libraryId, image: { base64: tiny.toString('base64') } })).toMatchObject({
      __typename: 'ImageRejectedError',
      reason: 'TOO_SMALL',
    });
  });

  test('a URL to 127.0.0.1 is ImageRejectedError BLOCKED_ADDRESS and nothing is fetched', async () => {
    let hits = 0;
    const imageHost = http.createServer((_req, res) => {
      hits++;
      res.end(png);
    });
    await new Promise<void>((resolve) => imageHost.listen(0, '127.0.0.1', resolve));
    const { port } = imageHost.address() as AddressInfo;
    try {
      const result = await registerFace({ libraryId, image: { url: `http://127.0.0.1:${port}/face.png` } });
      expect(result).toMatchObject({ __typename: 'ImageRejectedError', reason: 'BLOCKED_ADDRESS' });
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((resolve) => imageHost.close(() => resolve()));
    }
  });

  test('giving both base64 and url, or neither, is InvalidInputError', async () => {
    const both = await registerFace({
      libraryId,
      image: { base64: png.toString('base64'), url: 'https://example.com/a.png' },
    });
    expect(both).toMatchObject({ __typename: 'InvalidInputError', field: 'image', constraint: 'EXACTLY_ONE' });
    expect(await registerFace({ libraryId, image: {} })).toMatchObject({
      __typename: 'InvalidInputError',
      constraint: 'EXACTLY_ONE',
    });
  });

  test('updateFace without anything to change is InvalidInputError', async () => {
    const face = await registeredFace({ libraryId, image: { base64: png.toString('base64') } });
    const { updateFace } = await execute(server.url, UpdateFaceDocument, { input: { faceId: face.id } });
    expect(updateFace).toMatchObject({ __typename: 'InvalidInputError', constraint: 'AT_LEAST_ONE' });
  });

  test('deleteFaces with an empty filter is InvalidInputError and deletes nothing', async () => {
    const before = (await libraryFaces(libraryId)).faceCount;
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, { libraryId, filter: {} });
    expect(deleteFaces).toMatchObject({ __typename: 'InvalidInputError', field: 'filter', constraint: 'AT_LEAST_ONE' });
    expect((await libraryFaces(libraryId)).faceCount).toBe(before);
  });

  test(
    'a malformed id in a plain query is a BAD_USER_INPUT error without a stack trace; ' + 'an unknown one is null',
    async () => {
      const malformed = await gql(server.url, '{ library(id: "%%%") { id } }');
      expect(malformed.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argumentName: 'id' } });
      expect(JSON.stringify(malformed)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
      const unknown = await gql(server.url, '{ library(id: "WzEsIkwiLCJsb2NhbCIsImdob3N0Il0") { id } }');
      expect(unknown).toEqual({ data: { library: null } });
    },
  );
});

describe('registerFace with an idempotencyKey', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('idem')).id;
  });

  test('a retry with the same key returns the first face, marked replayed, and creates no second face', async () => {
    const input = {
      libraryId,
      image: { base64: jpeg.toString('base64') },
      fields: { dept: 'ops' },
      idempotencyKey: 'req-1',
    };
    const first = await registerFace(input);
    const retry = await registerFace(input);
    expect(first).toMatchObject({ __typename: 'RegisterFaceSuccess', replayed: false });
    expect(retry).toMatchObject({ __typename: 'RegisterFaceSuccess', replayed: true });
    expect((retry as { face: { id: string } }).face.id).toBe((first as { face: { id: string } }).face.id);
    expect((await libraryFaces(libraryId)).faceCount).toBe(1);
  });

  test('concurrent requests with one key create one face', async () => {
    const input = { libraryId, image: { base64: png.toString('base64') }, idempotencyKey: 'req-2' };
    const results = await Promise.all([registerFace(input), registerFace(input), registerFace(input)]);
    const ids = new Set(results.map((r) => (r as { face: { id: string } }).face.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => (r as { replayed: boolean }).replayed)).toHaveLength(2);
    expect((await libraryFaces(libraryId)).faceCount).toBe(2);
  });

  test('the same key with a different request is InvalidInputError', async () => {
    const result = await registerFace({
      libraryId,
      image: { base64: png.toString('base64') },
      fields: { dept: 'other' },
      idempotencyKey: 'req-1',
    });
    expect(result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.idempotencyKey',
      constraint: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect((await libraryFaces(libraryId)).faceCount).toBe(2);
  });
});

describe('finding objects by id, syncing and deleting a library', () => {
  test('node(id) resolves a library, a person and a face by their global ids', async () => {
    const library = await createLibrary('nodes');
    const { createPerson } = await execute(server.url, CreatePersonDocument, {
      input: { libraryId: library.id, externalId: 'p-1' },
    });
    const person = (createPerson as { person: { id: string } }).person;
    const face = await registeredFace({
      libraryId: library.id,
      personId: person.id,
      image: { base64: png.toString('base64') },
    });

    expect((await execute(server.url, NodeDocument, { id: library.id })).node).toEqual({
      __typename: 'Library',
      id: library.id,
      name: 'nodes',
    });
    expect((await execute(server.url, NodeDocument, { id: person.id })).node).toEqual({
      __typename: 'Person',
      id: person.id,
      externalId: 'p-1',
    });
    expect((await execute(server.url, NodeDocument, { id: face.id })).node).toEqual({
      __typename: 'Face',
      id: face.id,
      vendorFaceId: face.vendorFaceId,
    });
  });

  test('syncLibrary reports a face whose stored image vanished as missing at the vendor', async () => {
    const library = await createLibrary('drift');
    const lonely = await facePhoto('A', 'png', 1);
    await registeredFace({ libraryId: library.id, image: { base64: lonely.toString('base64') } });
    await registeredFace({ libraryId: library.id, image: { base64: jpeg.toString('base64') } });
    fs.rmSync(storedImagePath(sha256(lonely)));

    const { syncLibrary } = await execute(server.url, SyncLibraryDocument, { id: library.id });
    expect(syncLibrary).toMatchObject({
      __typename: 'SyncLibrarySuccess',
      imported: 0,
      missingAtVendor: 1,
      unreadableAtVendor: 0,
      library: { id: library.id, faceCount: 2 },
    });
  });

  test('deleteLibrary removes the library with its faces', async () => {
    const library = await createLibrary('doomed');
    const only = await facePhoto('B', 'jpeg', 2);
    await registeredFace({ libraryId: library.id, image: { base64: only.toString('base64') } });
    await registeredFace({ libraryId: library.id, image: { base64: only.toString('base64') } });

    const { deleteLibrary } = await execute(server.url, DeleteLibraryDocument, { id: library.id });
    expect(deleteLibrary).toEqual({ __typename: 'DeleteLibrarySuccess', deletedId: library.id, deletedFaceCount: 2 });
    expect((await execute(server.url, LibraryFacesDocument, { id: library.id })).library).toBeNull();
    expect(fs.existsSync(storedImagePath(sha256(only)))).toBe(false);
    const again = await execute(server.url, DeleteLibraryDocument, { id: library.id });
    expect(again.deleteLibrary).toMatchObject({ __typename: 'NotFoundError', resource: 'LIBRARY' });
  });
});
