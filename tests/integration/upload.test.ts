import { createHash } from 'node:crypto';
import { describeBytes } from '../../src/datasources/images/rejections';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { startAzureFaceEmulator, type AzureFaceEmulator } from '../emulators/azure-face';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { frsProvider, startTestFrs } from '../support/frs';
import { errorsOf, resultOf, withVendor } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { rawRequest } from '../support/raw-http';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// ImageInput.upload: files sent as GraphQL multipart requests over real HTTP, to LOCAL and to FRS (its emulator).

const REGISTER = `mutation($input: RegisterFaceInput!) { registerFace(input: $input) { __typename
  ... on RegisterFaceSuccess { face { id imageSha256 } } ${errorsOf('registerFace')} } }`;

let server: TestServer;
let emulator: FrsEmulator;
let azure: AzureFaceEmulator;
let mts: MtsEmulator;
const AZURE_KEY = 'emulator-subscription-key-0001';
const MTS = { accessKeyId: 'mts-ak-0001', accessKeySecret: 'mts-secret-0001' };
let photo: Buffer;
/** images.maxBytes of the server under test: room for the photo, and a known size to go past. */
let maxBytes: number;
/** limits.expensiveFieldsPerRequest of the server under test, which is also its files-per-request limit. */
const EXPENSIVE_FIELDS_PER_REQUEST = 3;

beforeAll(async () => {
  photo = await facePhoto('A');
  maxBytes = photo.length + 4096;
  emulator = await startTestFrs();
  azure = await startAzureFaceEmulator({ subscriptionKeys: [AZURE_KEY] });
  mts = await startMtsEmulator({ credentials: [MTS] });
  server = await startTestServer({
    configure: (c) => {
      c.images.maxBytes = maxBytes;
      c.limits.expensiveFieldsPerRequest = EXPENSIVE_FIELDS_PER_REQUEST;
      c.providers = [
        ...c.providers,
        frsProvider(emulator),
        {
          id: 'az',
          kind: 'AZURE_FACE',
          endpoint: azure.endpoint,
          credentials: { subscriptionKey: AZURE_KEY },
        } as never,
        { id: 'ali', kind: 'ALIBABA_MTS', region: 'cn-shanghai', endpoint: mts.endpoint, credentials: MTS } as never,
      ];
    },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await Promise.all([emulator?.close(), azure?.close(), mts?.close()]);
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function createLibrary(providerId: string, name: string): Promise<string> {
  const created = await resultOf(
    server.url,
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ` +
      `... on CreateLibrarySuccess { library { id } } } }`,
    { i: { providerId, name } },
  );
  return created.library.id;
}

/** A multipart request per the spec: `operations`, `map`, then one part per file. */
function multipart(
  operation: { query: string; variables: Record<string, unknown> },
  files: Record<string, { bytes: Buffer; paths: string[] }>,
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
) {
  const form = new FormData();
  form.append('operations', JSON.stringify(operation));
  form.append('map', JSON.stringify(Object.fromEntries(Object.entries(files).map(([name, f]) => [name, f.paths]))));
  for (const [name, file] of Object.entries(files))
    form.append(name, new Blob([new Uint8Array(file.bytes)], { type: 'image/jpeg' }), `${name}.jpg`);
  return fetch(server.url, { method: 'POST', headers, body: form });
}

/** Azure and MTS register faces on a person: one is made for each of their libraries. */
async function personFor(providerId: string, libraryId: string): Promise<string | null> {
  if (providerId === 'local' || providerId === 'hw') return null;
  const created = await resultOf(
    server.url,
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename ` +
      `... on CreatePersonSuccess { person { id } } } }`,
    { i: { libraryId, name: 'Ada' } },
  );
  return created.person.id;
}

function registerByUpload(
  libraryId: string,
  bytes: Buffer,
  headers?: Record<string, string>,
  personId: string | null = null,
) {
  return multipart(
    { query: REGISTER, variables: { input: { libraryId, personId, image: { upload: null } } } },
    { 0: { bytes, paths: ['variables.input.image.upload'] } },
    headers,
  );
}

async function faceCount(libraryId: string): Promise<number> {
  const { data } = await gql(server.url, `query($id: ID!) { library(id: $id) { faceCount } }`, { id: libraryId });
  return data.library.faceCount;
}

describe.each(['local', 'hw', 'az'])('on provider %s', (providerId) => {
  let libraryId: string;
  let personId: string | null;
  beforeAll(async () => {
    libraryId = await createLibrary(providerId, `uploads_${providerId}`);
    personId = await personFor(providerId, libraryId);
  });

  test('a face registers from an uploaded file, stored by the digest of exactly those bytes', async () => {
    const res = await registerByUpload(libraryId, photo, undefined, personId);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as {
      data: { registerFace: { __typename: string; face: { imageSha256: string } } };
    };
    expect(data.registerFace.__typename).toBe('RegisterFaceSuccess');
    expect(data.registerFace.face.imageSha256).toBe(sha256(photo));
  });

  test('a file over images.maxBytes is refused with the same typed error as an oversized base64 image', async () => {
    const before = await faceCount(libraryId);
    const oversized = Buffer.concat([photo, Buffer.alloc(maxBytes + 1 - photo.length, 0xff)]);
    const res = await registerByUpload(libraryId, oversized, undefined, personId);
    const uploaded = withVendor(((await res.json()) as any).data.registerFace);
    const base64 = withVendor(
      (
        await gql(server.url, REGISTER, {
          input: { libraryId, personId, image: { base64: oversized.toString('base64') } },
        })
      ).data.registerFace,
    );
    expect(uploaded).toMatchObject({ __typename: 'ImageRejectedError', code: 'IMAGE_REJECTED', reason: 'TOO_LARGE' });
    expect(base64).toMatchObject({ __typename: 'ImageRejectedError', reason: 'TOO_LARGE' });
    expect(uploaded.message).toContain(`the ${describeBytes(maxBytes)} limit`);
    expect(await faceCount(libraryId)).toBe(before);
  });
});

test(
  'ALIBABA_MTS without imageStaging takes URLs only: an upload is refused as base64 is, ' + 'naming image.upload',
  async () => {
    const libraryId = await createLibrary('ali', 'uploads_ali');
    const personId = await personFor('ali', libraryId);
    const res = await registerByUpload(libraryId, photo, undefined, personId);
    const result = withVendor(((await res.json()) as any).data.registerFace);
    expect(result).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.image.upload',
      constraint: 'IMAGE_URL_REQUIRED',
    });
    expect(result.message).toContain('imageStaging');
  },
);

test('a file of exactly images.maxBytes is accepted (the cap is inclusive)', async () => {
  const libraryId = await createLibrary('local', 'uploads_cap');
  // JPEG decoders stop at the end-of-image marker: trailing bytes make the file larger, not another picture.
  const atCap = Buffer.concat([photo, Buffer.alloc(maxBytes - photo.length, 0)]);
  const res = await registerByUpload(libraryId, atCap);
  const { data } = (await res.json()) as any;
  expect(data.registerFace).toMatchObject({ __typename: 'RegisterFaceSuccess', face: { imageSha256: sha256(atCap) } });
});

test('a multipart request without a preflight header is refused before anything runs (CSRF prevention)', async () => {
  const libraryId = await createLibrary('local', 'uploads_csrf');
  const res = await registerByUpload(libraryId, photo, {});
  expect(res.status).toBe(400);
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
  expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
  expect(body.errors[0].message).toContain('apollo-require-preflight');
  expect(await faceCount(libraryId)).toBe(0);
});

test('x-apollo-operation-name serves as the preflight header too', async () => {
  const libraryId = await createLibrary('local', 'uploads_opname');
  const res = await registerByUpload(libraryId, photo, { 'x-apollo-operation-name': 'Register' });
  expect(((await res.json()) as any).data.registerFace.__typename).toBe('RegisterFaceSuccess');
});

test('exactly one of base64, url and upload: two are refused with InvalidInputError EXACTLY_ONE', async () => {
  const libraryId = await createLibrary('local', 'uploads_one');
  const res = await multipart(
    { query: REGISTER, variables: { input: { libraryId, image: { base64: photo.toString('base64'), upload: null } } } },
    { 0: { bytes: photo, paths: ['variables.input.image.upload'] } },
  );
  const result = withVendor(((await res.json()) as any).data.registerFace);
  expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'image', constraint: 'EXACTLY_ONE' });
  expect(result.message).toContain('image.upload');
});

test('searchFaces takes an uploaded probe', async () => {
  const libraryId = await createLibrary('local', 'uploads_search');
  await registerByUpload(libraryId, photo);
  const res = await multipart(
    {
      query: `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, image: $i) { __typename
        ... on SearchFacesSuccess { matches { similarity face { imageSha256 } } } } }`,
      variables: { l: libraryId, i: { upload: null } },
    },
    { probe: { bytes: await facePhoto('A', 'jpeg', 1), paths: ['variables.i.upload'] } },
  );
  const { data } = (await res.json()) as any;
  expect(data.searchFaces.__typename).toBe('SearchFacesSuccess');
  expect(data.searchFaces.matches[0].face.imageSha256).toBe(sha256(photo));
});

test('more files than limits.expensiveFieldsPerRequest in one request are refused with 413', async () => {
  const files = Object.fromEntries(
    Array.from({ length: EXPENSIVE_FIELDS_PER_REQUEST + 1 }, (_, i) => [
      String(i),
      { bytes: photo, paths: [`variables.f${i}`] },
    ]),
  );
  const res = await multipart({ query: '{ __typename }', variables: {} }, files);
  expect(res.status).toBe(413);
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
  expect(body.errors[0]).toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE' } });
  expect(body.errors[0].message).toContain('limits.expensiveFieldsPerRequest');
});

test(
  'a multipart request to a Host this server does not ' + 'answer to is refused (403) and registers nothing',
  async () => {
    const libraryId = await createLibrary('local', 'uploads_host');
    const form = new Request(server.url, {
      method: 'POST',
      body: (() => {
        const f = new FormData();
        f.append(
          'operations',
          JSON.stringify({ query: REGISTER, variables: { input: { libraryId, image: { upload: null } } } }),
        );
        f.append('map', JSON.stringify({ 0: ['variables.input.image.upload'] }));
        f.append('0', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'face.jpg');
        return f;
      })(),
    });
    const body = Buffer.from(await form.arrayBuffer());
    const reply = await rawRequest(
      server.origin,
      'POST',
      '/graphql',
      {
        host: 'rebound.example',
        'content-type': form.headers.get('content-type')!,
        'apollo-require-preflight': 'true',
      },
      body,
    );
    expect(reply.status).toBe(403);
    expect(reply.json.errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
    expect(await faceCount(libraryId)).toBe(0);
  },
);

test('a cut-off or malformed multipart body is a 400 that says what is wrong, never a 500', async () => {
  const post = (body: string) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true', 'content-type': 'multipart/form-data; boundary=x' },
      body,
    });
  const operations = JSON.stringify({ query: '{ __typename }', variables: {} });
  const cutOff = await post(`--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}`);
  const noHeaders = await post('--x\r\n\r\n\r\n--x--\r\n');
  for (const res of [cutOff, noHeaders]) {
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/multipart/i);
  }
});
