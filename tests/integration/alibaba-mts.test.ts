import sharp from 'sharp';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer, type TestServer } from '../support/test-server';

// The ALIBABA_MTS provider through GraphQL: the real server, its endpoint pointed at the MTS emulator,
// which speaks MTS's RPC protocol and verifies V3 and V1 signatures.

const AK = 'LTAIemulator0000001';
const SECRET = 'emulator-access-key-secret-0001';

let emulator: MtsEmulator;
let server: TestServer;

async function startServerFor(
  credentials: { accessKeyId: string; accessKeySecret: string },
  extra: Record<string, unknown> = {},
) {
  return startTestServer({
    configure: (c) => {
      c.providers.push({
        id: 'ali',
        kind: 'ALIBABA_MTS',
        region: 'cn-shanghai',
        endpoint: emulator.endpoint,
        credentials,
        timeoutMs: 1_000,
        ...extra,
      } as never);
    },
  });
}

const op = (query: string, variables: Record<string, unknown> = {}, s = server) => resultOf(s.url, query, variables);

const createLibrary = (name: string, s = server) =>
  op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ` +
      `... on CreateLibrarySuccess { library { id name } } ${errorsOf('createLibrary')} } }`,
    {
      i: { providerId: 'ali', name, fields: [{ name: 'dept', type: 'STRING' }] },
    },
    s,
  );

const createPerson = (libraryId: string, externalId: string, name?: string, s = server) =>
  op(
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename ` +
      `... on CreatePersonSuccess { person { id externalId } } ${errorsOf('createPerson')} } }`,
    {
      i: { libraryId, externalId, name },
    },
    s,
  );

const registerFace = (input: Record<string, unknown>, s = server) =>
  op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ` +
      `... on RegisterFaceSuccess { face { id vendorFaceId fields externalImageId } } ${errorsOf('registerFace')} } }`,
    { i: input },
    s,
  );

const deleteFaces = (libraryId: string, filter: Record<string, unknown>) =>
  op(
    `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, ` +
      `filter: $f) { __typename ... on DeleteFacesSuccess { matchedCount deletedCount ` +
      `plan { strategy vendorCalls } } ${errorsOf('deleteFaces')} } }`,
    {
      l: libraryId,
      f: filter,
    },
  );

let urlCounter = 0;
/** A public-looking URL the emulator "downloads" from its image map. */
async function hostedFace(person: 'A' | 'B' = 'A'): Promise<string> {
  const url = `https://faces-bucket.oss-cn-shanghai.aliyuncs.com/faces/${person}-${++urlCounter}.jpg`;
  emulator.images.set(url, await facePhoto(person, 'jpeg', urlCounter % 10));
  return url;
}

const vendorFaces = (category: string, person: string) => emulator.state.faces(category, person);

beforeAll(async () => {
  emulator = await startMtsEmulator({ credentials: [{ accessKeyId: AK, accessKeySecret: SECRET }] });
  server = await startServerFor({ accessKeyId: AK, accessKeySecret: SECRET });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});
afterEach(() => emulator.faults.clear());

describe('an ALIBABA_MTS custom face library through GraphQL (V3 signatures)', () => {
  let libraryId: string;
  let personId: string;

  test('the provider reports what MTS does natively and what facegraph emulates', async () => {
    const providers = await op(
      `{ providers { id kind region capabilities { createLibrary registerFace updateFace deleteFaces ` +
        `deleteFacesByFilter customFields persons searchFaces imageUrl imageBase64 maxFacesPerPerson } } }`,
    );
    expect(providers.find((p: { id: string }) => p.id === 'ali')).toEqual({
      id: 'ali',
      kind: 'ALIBABA_MTS',
      region: 'cn-shanghai',
      capabilities: {
        createLibrary: 'EMULATED',
        registerFace: 'NATIVE',
        updateFace: 'EMULATED',
        deleteFaces: 'NATIVE',
        deleteFacesByFilter: 'EMULATED',
        customFields: 'EMULATED',
        persons: 'NATIVE',
        searchFaces: 'UNSUPPORTED',
        imageUrl: true,
        imageBase64: false,
        maxFacesPerPerson: 10,
      },
    });
  });

  test(
    'createLibrary records the category in the ledger only; ' + 'names differing by case are the same library',
    async () => {
      const created = await createLibrary('Staff');
      expect(created).toMatchObject({ __typename: 'CreateLibrarySuccess', library: { name: 'staff' } });
      libraryId = created.library.id;
      expect(emulator.requests).toHaveLength(0);
      expect(await createLibrary('STAFF')).toMatchObject({ __typename: 'AlreadyExistsError', resource: 'LIBRARY' });
    },
  );

  test('createPerson with a name tags the person at MTS', async () => {
    const result = await createPerson(libraryId, 'emp-1', 'Zhang San');
    expect(result).toMatchObject({ __typename: 'CreatePersonSuccess', person: { externalId: 'emp-1' } });
    personId = result.person.id;
    expect(emulator.requests.map((r) => r.action)).toEqual(['TagCustomPerson']);
  });

  test('registerFace sends RegisterCustomFace with the public ImageUrl; fields stay in the ledger', async () => {
    const url = await hostedFace('A');
    const result = await registerFace({
      libraryId,
      personId,
      image: { url },
      fields: { dept: 'sales' },
      externalImageId: 'badge-1',
    });
    expect(result).toMatchObject({
      __typename: 'RegisterFaceSuccess',
      face: { fields: { dept: 'sales' }, externalImageId: 'badge-1' },
    });
    expect(vendorFaces('staff', 'emp-1').map((f) => f.faceId)).toEqual([result.face.vendorFaceId]);
  });

  test('a base64 image is refused with an error that says MTS takes URLs', async () => {
    const result = await registerFace({
      libraryId,
      personId,
      image: { base64: (await facePhoto('A')).toString('base64') },
    });
    expect(result).toMatchObject({ __typename: 'InvalidInputError', constraint: 'IMAGE_URL_REQUIRED' });
  });

  test('a private or loopback image URL is refused before calling MTS', async () => {
    const before = emulator.requests.length;
    const result = await registerFace({ libraryId, personId, image: { url: 'http://10.0.0.5/face.jpg' } });
    expect(result).toMatchObject({ __typename: 'ImageRejectedError', reason: 'BLOCKED_ADDRESS' });
    expect(emulator.requests.length).toBe(before);
  });

  test('updateFace is emulated in the ledger: no call to MTS', async () => {
    const face = (
      await op(`query($id: ID!) { library(id: $id) { faces { edges { node { id } } } } }`, { id: libraryId })
    ).faces.edges[0].node;
    const before = emulator.requests.length;
    const result = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ` +
        `... on UpdateFaceSuccess { face { fields } } ${errorsOf('updateFace')} } }`,
      { i: { faceId: face.id, fields: { dept: 'ops' } } },
    );
    expect(result).toEqual({ __typename: 'UpdateFaceSuccess', face: { fields: { dept: 'ops' } } });
    expect(emulator.requests.length).toBe(before);
  });

  test('the 11th face of a person is refused before calling MTS, naming the limit', async () => {
    for (let i = vendorFaces('staff', 'emp-1').length; i < 10; i++) {
      expect((await registerFace({ libraryId, personId, image: { url: await hostedFace('A') } })).__typename).toBe(
        'RegisterFaceSuccess',
      );
    }
    const before = emulator.requests.length;
    const result = await registerFace({ libraryId, personId, image: { url: await hostedFace('A') } });
    expect(result).toMatchObject({ __typename: 'QuotaExceededError' });
    expect(result.message).toMatch(/at most 10 faces/);
    expect(emulator.requests.length).toBe(before);
  });

  test('deleteFaces of a whole person is one UnregisterCustomFace with FaceId=ALL', async () => {
    const before = emulator.requests.length;
    const result = await deleteFaces(libraryId, { personId });
    expect(result).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 10,
      deletedCount: 10,
      plan: { strategy: 'NATIVE', vendorCalls: 1 },
    });
    expect(emulator.requests.slice(before).map((r) => r.action)).toEqual(['UnregisterCustomFace']);
    expect(vendorFaces('staff', 'emp-1')).toHaveLength(0);
  });

  test('deleteFaces by a custom field is one UnregisterCustomFace per face', async () => {
    const other = (await createPerson(libraryId, 'emp-2')).person.id;
    await registerFace({ libraryId, personId: other, image: { url: await hostedFace('B') }, fields: { dept: 'ops' } });
    await registerFace({ libraryId, personId: other, image: { url: await hostedFace('B') }, fields: { dept: 'ops' } });
    const result = await deleteFaces(libraryId, { fields: { dept: 'ops' } });
    expect(result).toMatchObject({ matchedCount: 2, deletedCount: 2, plan: { strategy: 'EMULATED', vendorCalls: 2 } });
  });

  test('syncLibrary reads ListCustomPersons and imports what was registered outside the gateway', async () => {
    const outside = await hostedFace('B');
    emulator.state.register('staff', 'outsider', outside);
    const result = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename ... on SyncLibrarySuccess { ` +
        `imported missingAtVendor library { faceCount personCount } } ${errorsOf('syncLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toMatchObject({
      __typename: 'SyncLibrarySuccess',
      imported: 1,
      missingAtVendor: 0,
      library: { faceCount: 1 },
    });
  });

  test('searchFaces is UnsupportedOperationError on MTS', async () => {
    const result = await op(
      `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, ` +
        `image: $i) { __typename ${errorsOf('searchFaces')} } }`,
      { l: libraryId, i: { url: await hostedFace('A') } },
    );
    expect(result).toMatchObject({ __typename: 'UnsupportedOperationError', operation: 'searchFaces' });
  });

  test('deleteLibrary unregisters everything with PersonId=ALL', async () => {
    const result = await op(
      `mutation($id: ID!) { deleteLibrary(id: $id) { __typename ` +
        `... on DeleteLibrarySuccess { deletedFaceCount } ${errorsOf('deleteLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toEqual({ __typename: 'DeleteLibrarySuccess', deletedFaceCount: 1 });
    expect(emulator.requests.at(-1)).toMatchObject({ action: 'UnregisterCustomFace' });
    expect(emulator.state.faces('staff', 'outsider')).toHaveLength(0);
  });
});

describe('MTS errors and faults', () => {
  let libraryId: string;
  let personId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('errors')).library.id;
    personId = (await createPerson(libraryId, 'p1')).person.id;
  });

  test('an image with no face, or with several, is ImageRejectedError with the vendor detail', async () => {
    const dark = await sharp({
      create: { width: 300, height: 300, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    } as never)
      .composite([
        {
          input: await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000000' } })
            .png()
            .toBuffer(),
          left: 0,
          top: 0,
        },
      ])
      .jpeg()
      .toBuffer();
    const noFace = 'https://faces-bucket.oss-cn-shanghai.aliyuncs.com/no-face.jpg';
    emulator.images.set(noFace, dark);
    expect(await registerFace({ libraryId, personId, image: { url: noFace } })).toMatchObject({
      __typename: 'ImageRejectedError',
      reason: 'NO_FACE',
      vendor: { code: 'InvalidParameter', httpStatus: 400 },
    });
    const group = 'https://faces-bucket.oss-cn-shanghai.aliyuncs.com/group.jpg';
    emulator.images.set(
      group,
      await sharp({
        create: { width: 600, height: 200, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } },
      } as never)
        .jpeg()
        .toBuffer(),
    );
    expect(await registerFace({ libraryId, personId, image: { url: group } })).toMatchObject({
      __typename: 'ImageRejectedError',
      reason: 'MULTIPLE_FACES',
    });
  });

  test('a URL MTS cannot download is ImageRejectedError UNREACHABLE', async () => {
    const result = await registerFace({
      libraryId,
      personId,
      image: { url: 'https://faces-bucket.oss-cn-shanghai.aliyuncs.com/missing.jpg' },
    });
    expect(result).toMatchObject({ __typename: 'ImageRejectedError', reason: 'UNREACHABLE' });
  });

  test('throttling is retried and succeeds; persistent throttling is RateLimitedError', async () => {
    emulator.faults.next({
      kind: 'status',
      status: 400,
      body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
      operation: 'RegisterCustomFace',
    });
    expect((await registerFace({ libraryId, personId, image: { url: await hostedFace() } })).__typename).toBe(
      'RegisterFaceSuccess',
    );
    emulator.faults.next({
      kind: 'status',
      status: 400,
      body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
      operation: 'RegisterCustomFace',
      times: 5,
    });
    expect(await registerFace({ libraryId, personId, image: { url: await hostedFace() } })).toMatchObject({
      __typename: 'RateLimitedError',
      vendor: { code: 'Throttling.User' },
    });
  });

  test.each([
    [500, 'InternalError', 'VendorUnavailableError'],
    [503, 'ServiceUnavailable', 'VendorUnavailableError'],
    [403, 'Forbidden.RAM', 'VendorAuthError'],
    [400, 'InvalidParameter', 'InvalidInputError'],
  ])('RegisterCustomFace answered %d %s arrives as %s with the RequestId', async (status, code, typename) => {
    emulator.faults.next({
      kind: 'status',
      status,
      body: { Code: code, Message: `errorMsg:emulated ${code}` },
      operation: 'RegisterCustomFace',
      times: 3,
    });
    const result = await registerFace({ libraryId, personId, image: { url: await hostedFace() } });
    expect(result.__typename).toBe(typename);
    if (result.vendor) expect(result.vendor).toMatchObject({ code, httpStatus: status });
    if (result.vendor) expect(result.vendor.requestId).toBeTruthy();
  });

  test('an add MTS carried out but answered too late is found again: exactly one face', async () => {
    const before = vendorFaces('errors', 'p1').length;
    emulator.faults.next({ kind: 'delay', ms: 2_000, applyThenDelay: true, operation: 'RegisterCustomFace' });
    expect((await registerFace({ libraryId, personId, image: { url: await hostedFace('B') } })).__typename).toBe(
      'RegisterFaceSuccess',
    );
    expect(vendorFaces('errors', 'p1')).toHaveLength(before + 1);
  });

  test('a wrong AccessKey secret fails the signature check: VendorAuthError SignatureDoesNotMatch', async () => {
    const wrong = await startServerFor({ accessKeyId: AK, accessKeySecret: 'wrong-secret' });
    try {
      const lib = (await createLibrary('wrong', wrong)).library.id;
      const result = await createPerson(lib, 'x', 'Named', wrong);
      expect(result).toMatchObject({ __typename: 'VendorAuthError', vendor: { code: 'SignatureDoesNotMatch' } });
      expect(JSON.stringify(result)).not.toContain('wrong-secret');
    } finally {
      await wrong.close();
    }
  });

  test('V1 HMAC-SHA1 signatures work when configured', async () => {
    const v1 = await startServerFor({ accessKeyId: AK, accessKeySecret: SECRET }, { signatureVersion: 'V1' });
    try {
      const lib = (await createLibrary('v1lib', v1)).library.id;
      const person = (await createPerson(lib, 'v1p', 'Li Si', v1)).person.id;
      expect(
        (await registerFace({ libraryId: lib, personId: person, image: { url: await hostedFace() } }, v1)).__typename,
      ).toBe('RegisterFaceSuccess');
      expect(emulator.requests.at(-1)).toMatchObject({ action: 'RegisterCustomFace', signatureVersion: 'V1' });
    } finally {
      await v1.close();
    }
  });
});

describe('externalImageId on MTS, which keeps no face metadata: the ledger holds it', () => {
  test('the faces filter, updateFace and deleteFaces by externalImageId work', async () => {
    const libraryId = (await createLibrary('badges')).library.id;
    const personId = (await createPerson(libraryId, 'b1')).person.id;
    const register = async (externalImageId: string) =>
      (await registerFace({ libraryId, personId, image: { url: await hostedFace('A') }, externalImageId })).face;
    const face = await register('img-m1');
    await register('img-other');
    const facesWith = async (externalImageId: string) => {
      const query = `query($id: ID!, $f: FaceFilter) {
        library(id: $id) { faces(filter: $f) { edges { node { id externalImageId } } } } }`;
      const library = await op(query, { id: libraryId, f: { externalImageId } });
      return library.faces.edges.map((e: { node: unknown }) => e.node);
    };
    expect(await facesWith('img-m1')).toEqual([{ id: face.id, externalImageId: 'img-m1' }]);

    const updated = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename
        ... on UpdateFaceSuccess { face { externalImageId } } ${errorsOf('updateFace')} } }`,
      {
        i: { faceId: face.id, externalImageId: 'img-m2' },
      },
    );
    expect(updated).toEqual({ __typename: 'UpdateFaceSuccess', face: { externalImageId: 'img-m2' } });
    expect(await facesWith('img-m1')).toEqual([]);
    expect(await facesWith('img-m2')).toEqual([{ id: face.id, externalImageId: 'img-m2' }]);

    const before = emulator.requests.length;
    const deleted = await deleteFaces(libraryId, { externalImageId: 'img-m2' });
    expect(deleted).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 1,
      deletedCount: 1,
      plan: { strategy: 'EMULATED', vendorCalls: 1 },
    });
    expect(emulator.requests.slice(before).map((r) => r.action)).toEqual(['UnregisterCustomFace']);
    expect(vendorFaces('badges', 'b1')).toHaveLength(1);
  });
});
