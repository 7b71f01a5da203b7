import sharp from 'sharp';
import { startAzureFaceEmulator, type AzureFaceEmulator } from '../emulators/azure-face';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer, type TestServer } from '../support/test-server';

// The AZURE_FACE provider through GraphQL: the real server, its endpoint pointed at the Azure Face
// emulator, which speaks Azure's wire format and checks the subscription key.

const KEY = 'emulator-subscription-key-0001';

let emulator: AzureFaceEmulator;
let server: TestServer;

const b64 = (bytes: Buffer) => bytes.toString('base64');

/** A noisy JPEG above Azure's 1 KB floor; a black top-left corner means "no face" to the emulator. */
async function texturedImage(width: number, height: number, blackCorner: boolean): Promise<Buffer> {
  const noise = sharp({
    create: { width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  } as never);
  const black = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000000' } })
    .png()
    .toBuffer();
  return (blackCorner ? noise.composite([{ input: black, left: 0, top: 0 }]) : noise).jpeg({ quality: 90 }).toBuffer();
}

async function startServerFor(subscriptionKey: string, emulatorEndpoint = emulator.endpoint) {
  return startTestServer({
    configure: (c) => {
      c.providers.push({
        id: 'az',
        kind: 'AZURE_FACE',
        endpoint: emulatorEndpoint,
        credentials: { subscriptionKey },
        timeoutMs: 1_000,
      } as never);
    },
  });
}

const op = (query: string, variables: Record<string, unknown> = {}, s = server) => resultOf(s.url, query, variables);

const createLibrary = (name: string, kind?: string, fields: { name: string; type: string }[] = [], s = server) =>
  op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ` +
      `... on CreateLibrarySuccess { library { id name kind trainingStatus } } ${errorsOf('createLibrary')} } }`,
    {
      i: { providerId: 'az', name, kind, fields },
    },
    s,
  );

const createPerson = (libraryId: string, name: string) =>
  op(
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename ` +
      `... on CreatePersonSuccess { person { id externalId } } ${errorsOf('createPerson')} } }`,
    { i: { libraryId, name } },
  );

const registerFace = (input: Record<string, unknown>) =>
  op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { face { id vendorFaceId fields userData person { id externalId } } }
      ${errorsOf('registerFace')} } }`,
    { i: input },
  );

const trainLibrary = (id: string) =>
  op(
    `mutation($id: ID!) { trainLibrary(id: $id) { __typename ` +
      `... on TrainLibrarySuccess { library { trainingStatus } } ${errorsOf('trainLibrary')} } }`,
    { id },
  );

const trainingStatus = async (id: string) =>
  (await op(`query($id: ID!) { library(id: $id) { trainingStatus } }`, { id })).trainingStatus;

const search = async (libraryId: string, image: Buffer) =>
  op(
    `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, image: $i) { __typename ` +
      `... on SearchFacesSuccess { matches { similarity face { id person { id } } } } ${errorsOf('searchFaces')} } }`,
    {
      l: libraryId,
      i: { base64: b64(image) },
    },
  );

beforeAll(async () => {
  emulator = await startAzureFaceEmulator({ subscriptionKeys: [KEY], trainingMs: 50 });
  server = await startServerFor(KEY);
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});
afterEach(() => emulator.faults.clear());

describe('an AZURE_FACE person group through GraphQL', () => {
  let libraryId: string;
  let person: { id: string; externalId: string };
  let face: { id: string; vendorFaceId: string };

  test('the provider reports what Azure does natively, what is emulated, and that it needs training', async () => {
    const providers = await op(
      `{ providers { id kind capabilities { createLibrary registerFace updateFace deleteFaces ` +
        `deleteFacesByFilter customFields persons searchFaces maxFacesPerPerson requiresTraining } } }`,
    );
    expect(providers.find((p: { id: string }) => p.id === 'az')).toEqual({
      id: 'az',
      kind: 'AZURE_FACE',
      capabilities: {
        createLibrary: 'NATIVE',
        registerFace: 'NATIVE',
        updateFace: 'NATIVE',
        deleteFaces: 'NATIVE',
        deleteFacesByFilter: 'EMULATED',
        customFields: 'EMULATED',
        persons: 'NATIVE',
        searchFaces: 'NATIVE',
        maxFacesPerPerson: 248,
        requiresTraining: true,
      },
    });
  });

  test('createLibrary makes a PersonGroup by default and shows its kind', async () => {
    const result = await createLibrary('staff', undefined, [{ name: 'dept', type: 'STRING' }]);
    expect(result).toMatchObject({
      __typename: 'CreateLibrarySuccess',
      library: { name: 'staff', kind: 'PersonGroup', trainingStatus: 'NEEDS_TRAINING' },
    });
    libraryId = result.library.id;
    expect(emulator.state.group('PersonGroup', 'staff')).toBeDefined();
  });

  test('createPerson creates an Azure person whose personId becomes the externalId', async () => {
    const result = await createPerson(libraryId, 'Ada');
    expect(result.__typename).toBe('CreatePersonSuccess');
    person = result.person;
    expect(emulator.state.group('PersonGroup', 'staff')?.persons.get(person.externalId)?.name).toBe('Ada');
  });

  test('registerFace adds a persisted face with the custom fields mirrored into its userData', async () => {
    const result = await registerFace({
      libraryId,
      personId: person.id,
      image: { base64: b64(await facePhoto('A')) },
      fields: { dept: 'sales' },
      userData: 'desk 4',
    });
    expect(result).toMatchObject({
      __typename: 'RegisterFaceSuccess',
      face: { fields: { dept: 'sales' }, userData: 'desk 4', person: { id: person.id } },
    });
    face = result.face;
    const stored = emulator.state
      .group('PersonGroup', 'staff')
      ?.persons.get(person.externalId)
      ?.faces.get(face.vendorFaceId);
    expect(JSON.parse(stored!.userData!)).toMatchObject({ fields: { dept: 'sales' }, userData: 'desk 4' });
    expect(await trainingStatus(libraryId)).toBe('NEEDS_TRAINING');
  });

  test('registerFace needs a person on Azure', async () => {
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) } });
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'input.personId' });
  });

  test("custom fields that do not fit in Azure's 1 KB face userData are refused, naming the limit", async () => {
    const result = await registerFace({
      libraryId,
      personId: person.id,
      image: { base64: b64(await facePhoto('A')) },
      userData: 'x'.repeat(1000),
    });
    expect(result).toMatchObject({ __typename: 'InvalidInputError', constraint: 'AZURE_FACE_USER_DATA' });
    expect(result.message).toMatch(/1024/);
  });

  test('updateFace patches the face userData (the seed operation)', async () => {
    const result = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ` +
        `... on UpdateFaceSuccess { face { fields userData } } ${errorsOf('updateFace')} } }`,
      {
        i: { faceId: face.id, fields: { dept: 'ops' } },
      },
    );
    expect(result).toEqual({ __typename: 'UpdateFaceSuccess', face: { fields: { dept: 'ops' }, userData: 'desk 4' } });
    const stored = emulator.state
      .group('PersonGroup', 'staff')
      ?.persons.get(person.externalId)
      ?.faces.get(face.vendorFaceId);
    expect(JSON.parse(stored!.userData!)).toMatchObject({ fields: { dept: 'ops' }, userData: 'desk 4' });
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'PATCH', operation: 'updateFace' });
  });

  test('searchFaces before training is a ConflictError; after trainLibrary it finds the person', async () => {
    const untrained = await search(libraryId, await facePhoto('A', 'jpeg', 2));
    expect(untrained).toMatchObject({ __typename: 'ConflictError' });

    const trained = await trainLibrary(libraryId);
    expect(trained).toEqual({ __typename: 'TrainLibrarySuccess', library: { trainingStatus: 'SUCCEEDED' } });
    const found = await search(libraryId, await facePhoto('A', 'jpeg', 2));
    expect(found.__typename).toBe('SearchFacesSuccess');
    expect(found.matches[0]).toMatchObject({ face: { id: face.id, person: { id: person.id } } });
    expect(found.matches[0].similarity).toBeGreaterThan(0.6);
  });

  test('a training that is still running answers ConflictError TRAINING_IN_PROGRESS to a second train', async () => {
    emulator.faults.next({
      kind: 'status',
      status: 409,
      body: { error: { code: 'PersonGroupTrainingNotFinished', message: 'Person group is under training.' } },
      operation: 'train',
    });
    const result = await trainLibrary(libraryId);
    expect(result).toMatchObject({
      __typename: 'ConflictError',
      reason: 'TRAINING_IN_PROGRESS',
      vendor: { code: 'PersonGroupTrainingNotFinished', httpStatus: 409 },
    });
  });

  test('deleteFaces is one DELETE per face, emulated from the ledger, and marks the group for training', async () => {
    const second = await registerFace({
      libraryId,
      personId: person.id,
      image: { base64: b64(await facePhoto('A', 'png')) },
      fields: { dept: 'ops' },
    });
    const before = emulator.requests.length;
    const result = await op(
      `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, ` +
        `filter: $f) { __typename ... on DeleteFacesSuccess { matchedCount deletedCount ` +
        `deletedFaceIds plan { strategy vendorCalls } } ${errorsOf('deleteFaces')} } }`,
      {
        l: libraryId,
        f: { fields: { dept: 'ops' } },
      },
    );
    expect(result).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 2,
      deletedCount: 2,
      plan: { strategy: 'EMULATED', vendorCalls: 2 },
    });
    expect(new Set(result.deletedFaceIds)).toEqual(new Set([face.id, second.face.id]));
    expect(emulator.requests.slice(before).map((r) => r.operation)).toEqual(['deleteFace', 'deleteFace']);
    expect(emulator.state.group('PersonGroup', 'staff')?.persons.get(person.externalId)?.faces.size).toBe(0);
    expect(await trainingStatus(libraryId)).toBe('NEEDS_TRAINING');
  });

  test('syncLibrary imports persons and faces added at Azure outside the gateway', async () => {
    const direct = await fetch(`${emulator.endpoint}/face/v1.0/persongroups/staff/persons`, {
      method: 'POST',
      headers: { 'Ocp-Apim-Subscription-Key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Outsider' }),
    });
    const { personId } = (await direct.json()) as { personId: string };
    await fetch(`${emulator.endpoint}/face/v1.0/persongroups/staff/persons/${personId}/persistedfaces?userData=plain`, {
      method: 'POST',
      headers: { 'Ocp-Apim-Subscription-Key': KEY, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(await facePhoto('B')),
    });
    const result = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename ... on SyncLibrarySuccess { ` +
        `imported missingAtVendor library { faceCount personCount } } ${errorsOf('syncLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toEqual({
      __typename: 'SyncLibrarySuccess',
      imported: 1,
      missingAtVendor: 0,
      library: { faceCount: 1, personCount: 2 },
    });
  });

  test('a LargePersonGroup works the same way and says so', async () => {
    const large = await createLibrary('big-group', 'LargePersonGroup');
    expect(large).toMatchObject({ __typename: 'CreateLibrarySuccess', library: { kind: 'LargePersonGroup' } });
    const p = await createPerson(large.library.id, 'Bo');
    const r = await registerFace({
      libraryId: large.library.id,
      personId: p.person.id,
      image: { base64: b64(await facePhoto('B')) },
    });
    expect(r.__typename).toBe('RegisterFaceSuccess');
    expect(emulator.state.group('LargePersonGroup', 'big-group')?.persons.get(p.person.externalId)?.faces.size).toBe(1);
    expect(await createLibrary('bad-kind', 'FaceList')).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.kind',
    });
  });

  test('deleteLibrary deletes the person group', async () => {
    const result = await op(
      `mutation($id: ID!) { deleteLibrary(id: $id) { __typename ` +
        `... on DeleteLibrarySuccess { deletedFaceCount } ${errorsOf('deleteLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toEqual({ __typename: 'DeleteLibrarySuccess', deletedFaceCount: 1 });
    expect(emulator.state.group('PersonGroup', 'staff')).toBeUndefined();
  });
});

describe('Azure errors arrive as union members with the vendor detail', () => {
  let libraryId: string;
  let personId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('errors')).library.id;
    personId = (await createPerson(libraryId, 'Eve')).person.id;
  });

  test("a group id outside Azure's rule is InvalidInputError before any call", async () => {
    expect(await createLibrary('Upper_Case')).toMatchObject({
      __typename: 'InvalidInputError',
      constraint: 'LIBRARY_NAME',
    });
  });

  test(
    'an image with no face is ImageRejectedError NO_FACE; ' + 'a group photo MULTIPLE_FACES, and LARGEST picks one',
    async () => {
      const dark = await texturedImage(300, 300, true);
      expect(await registerFace({ libraryId, personId, image: { base64: b64(dark) } })).toMatchObject({
        __typename: 'ImageRejectedError',
        reason: 'NO_FACE',
        vendor: { code: 'InvalidImage', httpStatus: 400 },
      });
      const group = await texturedImage(600, 200, false);
      expect(await registerFace({ libraryId, personId, image: { base64: b64(group) } })).toMatchObject({
        __typename: 'ImageRejectedError',
        reason: 'MULTIPLE_FACES',
      });
      expect(
        (await registerFace({ libraryId, personId, image: { base64: b64(group) }, faceSelection: 'LARGEST' }))
          .__typename,
      ).toBe('RegisterFaceSuccess');
    },
  );

  test('a 429 whose wait is only in the message ("Try again in N seconds") is retried and succeeds', async () => {
    emulator.faults.next({
      kind: 'status',
      status: 429,
      body: { error: { statusCode: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.' } },
      operation: 'addFace',
    });
    const result = await registerFace({ libraryId, personId, image: { base64: b64(await facePhoto('A', 'jpeg', 3)) } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
  });

  test('a 429 that outlasts the retry budget is RateLimitedError with the wait parsed from the message', async () => {
    emulator.faults.next({
      kind: 'status',
      status: 429,
      body: { error: { statusCode: 429, message: 'Rate limit is exceeded. Try again in 26 seconds.' } },
      operation: 'addFace',
      times: 5,
    });
    const result = await registerFace({ libraryId, personId, image: { base64: b64(await facePhoto('A', 'jpeg', 4)) } });
    expect(result).toMatchObject({
      __typename: 'RateLimitedError',
      retryAfterSeconds: 26,
      vendor: { code: '429', httpStatus: 429 },
    });
  });

  test.each([
    [
      403,
      { error: { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 2.12 days.' } },
      'QuotaExceededError',
      '403',
    ],
    [
      403,
      { error: { code: 'QuotaExceeded', message: 'Persisted face number reached limit.' } },
      'QuotaExceededError',
      'QuotaExceeded',
    ],
    [404, { error: { code: 'PersonNotFound', message: 'Person is not found.' } }, 'NotFoundError', 'PersonNotFound'],
    [
      404,
      { error: { code: 'PersonGroupNotFound', message: 'Person group is not found.' } },
      'NotFoundError',
      'PersonGroupNotFound',
    ],
    [
      409,
      { error: { code: 'PersonGroupTrainingNotFinished', message: 'Person group is under training.' } },
      'ConflictError',
      'PersonGroupTrainingNotFinished',
    ],
    [
      409,
      { error: { code: 'ConcurrentOperationConflict', message: 'There is a conflict operation on resource.' } },
      'ConflictError',
      'ConcurrentOperationConflict',
    ],
    [
      400,
      { error: { code: 'InvalidImageSize', message: 'Image size is too big.' } },
      'ImageRejectedError',
      'InvalidImageSize',
    ],
    [400, { error: { code: 'InvalidURL', message: 'Invalid image URL.' } }, 'ImageRejectedError', 'InvalidURL'],
    [400, { error: { code: 'BadArgument', message: "'userData' is too long." } }, 'InvalidInputError', 'BadArgument'],
    [401, { statusCode: 401, message: 'Access denied due to invalid subscription key.' }, 'VendorAuthError', '401'],
    [
      408,
      { error: { code: 'OperationTimeOut', message: 'Request Timeout.' } },
      'VendorUnavailableError',
      'OperationTimeOut',
    ],
    [500, { error: { code: 'InternalServerError', message: 'oops' } }, 'VendorUnavailableError', 'InternalServerError'],
  ])('addFace answered %d %j arrives as %s', async (status, body, typename, code) => {
    emulator.faults.next({ kind: 'status', status, body, operation: 'addFace', times: 3 });
    const result = await registerFace({ libraryId, personId, image: { base64: b64(await facePhoto('B', 'jpeg', 5)) } });
    expect(result.__typename).toBe(typename);
    if ('vendor' in result) expect(result.vendor).toMatchObject({ code, httpStatus: status });
  });

  test("identify without Limited Access approval is UnsupportedOperationError with Azure's message", async () => {
    const gated = await startAzureFaceEmulator({ subscriptionKeys: [KEY], identifyAllowed: false, trainingMs: 10 });
    const s = await startServerFor(KEY, gated.endpoint);
    try {
      const lib = (await createLibrary('gated', undefined, [], s)).library.id;
      const result = await resultOf(
        s.url,
        `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, ` +
          `image: $i) { __typename ${errorsOf('searchFaces')} } }`,
        { l: lib, i: { base64: b64(await facePhoto('A')) } },
      );
      expect(result).toMatchObject({ __typename: 'UnsupportedOperationError', operation: 'searchFaces' });
      expect(result.message).toMatch(/approval|Identification/);
    } finally {
      await s.close();
      await gated.close();
    }
  });

  test("a wrong subscription key is VendorAuthError with Azure's 401", async () => {
    const wrong = await startServerFor('not-the-key');
    try {
      const result = await createLibrary('nope', undefined, [], wrong);
      expect(result).toMatchObject({ __typename: 'VendorAuthError', vendor: { httpStatus: 401 } });
      expect(JSON.stringify(result)).not.toContain('not-the-key');
    } finally {
      await wrong.close();
    }
  });

  test('an image URL is handed to Azure, which downloads it itself', async () => {
    const url = 'https://images.example.com/faces/b.jpg';
    emulator.images.set(url, await facePhoto('B', 'jpeg', 8));
    const result = await registerFace({ libraryId, personId, image: { url } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(emulator.requests.filter((r) => r.operation === 'addFace').at(-1)?.status).toBe(200);
    expect(
      await registerFace({ libraryId, personId, image: { url: 'http://169.254.169.254/latest/meta-data' } }),
    ).toMatchObject({ __typename: 'ImageRejectedError', reason: 'BLOCKED_ADDRESS' });
  });

  test.each([
    ['malformed JSON', { kind: 'malformed-json', apply: true }],
    ['a dropped connection', { kind: 'drop', apply: true }],
  ] as const)(
    'an add answered with %s after Azure acted is found by its token: exactly one face',
    async (_name, fault) => {
      const persons = emulator.state.group('PersonGroup', 'errors')!.persons;
      const count = () => [...persons.values()].reduce((n, p) => n + p.faces.size, 0);
      const n = count();
      emulator.faults.next({ ...fault, operation: 'addFace' });
      const result = await registerFace({
        libraryId,
        personId,
        image: { base64: b64(await facePhoto('B', 'png', 9)) },
      });
      expect(result.__typename).toBe('RegisterFaceSuccess');
      expect(count()).toBe(n + 1);
    },
  );

  test('an add that Azure carried out but answered too late is found by its token: exactly one face', async () => {
    const before = emulator.state.group('PersonGroup', 'errors')!.persons;
    const count = () => [...before.values()].reduce((n, p) => n + p.faces.size, 0);
    const n = count();
    emulator.faults.next({ kind: 'delay', ms: 2_000, applyThenDelay: true, operation: 'addFace' });
    const result = await registerFace({ libraryId, personId, image: { base64: b64(await facePhoto('A', 'png', 6)) } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(count()).toBe(n + 1);
  });
});

describe('externalImageId on Azure, which has no such field: kept in the ledger and mirrored into userData', () => {
  let libraryId: string;
  let personId: string;
  let personExternalId: string;
  const storedUserData = (vendorFaceId: string) => {
    const person = emulator.state.group('PersonGroup', 'badges')!.persons.get(personExternalId)!;
    return JSON.parse(person.faces.get(vendorFaceId)!.userData!);
  };
  const facesWith = async (externalImageId: string) => {
    const query = `query($id: ID!, $f: FaceFilter) {
      library(id: $id) { faces(filter: $f) { edges { node { id externalImageId } } } } }`;
    const library = await op(query, { id: libraryId, f: { externalImageId } });
    return library.faces.edges.map((e: { node: unknown }) => e.node);
  };

  beforeAll(async () => {
    libraryId = (await createLibrary('badges', undefined, [{ name: 'dept', type: 'STRING' }])).library.id;
    ({ id: personId, externalId: personExternalId } = (await createPerson(libraryId, 'Ida')).person);
  });

  test('registerFace, the faces filter, updateFace and deleteFaces take it; the face userData carries it', async () => {
    const image = { base64: b64(await facePhoto('A')) };
    const registered = await op(
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
        ... on RegisterFaceSuccess { face { id vendorFaceId externalImageId fields } }
        ${errorsOf('registerFace')} } }`,
      {
        i: { libraryId, personId, image, externalImageId: 'img-a1', fields: { dept: 'sales' } },
      },
    );
    expect(registered).toMatchObject({
      __typename: 'RegisterFaceSuccess',
      face: { externalImageId: 'img-a1', fields: { dept: 'sales' } },
    });
    const face = registered.face;
    expect(storedUserData(face.vendorFaceId)).toMatchObject({ externalImageId: 'img-a1', fields: { dept: 'sales' } });
    expect(await facesWith('img-a1')).toEqual([{ id: face.id, externalImageId: 'img-a1' }]);

    const updated = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename
        ... on UpdateFaceSuccess { face { externalImageId fields } } ${errorsOf('updateFace')} } }`,
      {
        i: { faceId: face.id, externalImageId: 'img-a2' },
      },
    );
    expect(updated).toEqual({
      __typename: 'UpdateFaceSuccess',
      face: { externalImageId: 'img-a2', fields: { dept: 'sales' } },
    });
    expect(storedUserData(face.vendorFaceId)).toMatchObject({ externalImageId: 'img-a2', fields: { dept: 'sales' } });
    expect(await facesWith('img-a1')).toEqual([]);

    const deleted = await op(
      `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f) { __typename
        ... on DeleteFacesSuccess { deletedFaceIds plan { strategy vendorCalls } } ${errorsOf('deleteFaces')} } }`,
      {
        l: libraryId,
        f: { externalImageId: 'img-a2' },
      },
    );
    expect(deleted).toEqual({
      __typename: 'DeleteFacesSuccess',
      deletedFaceIds: [face.id],
      plan: { strategy: 'EMULATED', vendorCalls: 1 },
    });
    expect(emulator.state.group('PersonGroup', 'badges')!.persons.get(personExternalId)!.faces.size).toBe(0);
  });

  test('an externalImageId that no longer fits in the 1 KB userData is refused, naming the limit', async () => {
    const result = await registerFace({
      libraryId,
      personId,
      image: { base64: b64(await facePhoto('A')) },
      externalImageId: 'x'.repeat(100),
      userData: 'y'.repeat(900),
    });
    expect(result).toMatchObject({ __typename: 'InvalidInputError', constraint: 'AZURE_FACE_USER_DATA' });
    expect(result.message).toMatch(/1024/);
  });

  test('syncLibrary reads the externalImageId back from the userData of a face it imports', async () => {
    const userData = encodeURIComponent(JSON.stringify({ externalImageId: 'img-outside', fields: { dept: 'ops' } }));
    const person = `${emulator.endpoint}/face/v1.0/persongroups/badges/persons/${personExternalId}`;
    await fetch(`${person}/persistedfaces?userData=${userData}`, {
      method: 'POST',
      headers: { 'Ocp-Apim-Subscription-Key': KEY, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(await facePhoto('B')),
    });
    const synced = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename
        ... on SyncLibrarySuccess { imported } ${errorsOf('syncLibrary')} } }`,
      { id: libraryId },
    );
    expect(synced).toEqual({ __typename: 'SyncLibrarySuccess', imported: 1 });
    expect(await facesWith('img-outside')).toEqual([{ id: expect.any(String), externalImageId: 'img-outside' }]);
  });
});

describe('a write made while a training runs', () => {
  test('keeps the library at NEEDS_TRAINING when that training then succeeds', async () => {
    const libraryId = (await createLibrary('trained-while-written')).library.id;
    const first = (await createPerson(libraryId, 'Tia')).person;
    const image = { base64: b64(await facePhoto('A')) };
    expect((await registerFace({ libraryId, personId: first.id, image })).__typename).toBe('RegisterFaceSuccess');

    // The first poll of the training status answers late: the training runs on while the person is created.
    emulator.faults.next({ kind: 'delay', ms: 600, operation: 'getTraining' });
    const training = trainLibrary(libraryId);
    const polled = () =>
      emulator.requests.some((r) => r.operation === 'getTraining' && r.path.includes('trained-while-written'));
    while (!polled()) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await createPerson(libraryId, 'Uma')).__typename).toBe('CreatePersonSuccess');

    const needsTraining = { __typename: 'TrainLibrarySuccess', library: { trainingStatus: 'NEEDS_TRAINING' } };
    expect(await training).toEqual(needsTraining);
    expect(await trainingStatus(libraryId)).toBe('NEEDS_TRAINING');
    const retrained = await trainLibrary(libraryId);
    expect(retrained).toEqual({ __typename: 'TrainLibrarySuccess', library: { trainingStatus: 'SUCCEEDED' } });
  });
});
