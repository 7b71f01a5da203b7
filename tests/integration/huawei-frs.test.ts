import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';
import { facePhoto } from '../support/images';
import { errorsOf, resultOf } from '../support/graphql-results';
import { startTestServer, type TestServer } from '../support/test-server';

// The HUAWEI_FRS provider through GraphQL: the real server, its endpoint pointed at the FRS emulator,
// which speaks FRS's wire format and checks every signature.

const PROJECT = '0123456789abcdef0123456789abcdef';
const AK = 'EMULATORAK000000001';
const SK = 'emulator-secret-key-0001';

let emulator: FrsEmulator;
let server: TestServer;

const b64 = (bytes: Buffer) => bytes.toString('base64');
const emulatorFaces = (set: string) => emulator.state.faces(set);

async function startServerFor(
  credentials: Record<string, string>,
  extra: Record<string, unknown> = {},
  logTo?: { write(line: string): void },
) {
  return startTestServer({
    logTo,
    configure: (c) => {
      c.providers.push({
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'cn-north-4',
        projectId: PROJECT,
        endpoint: emulator.endpoint,
        iamEndpoint: emulator.iamEndpoint,
        credentials: credentials as never,
        timeoutMs: 1_000,
        ...extra,
      });
    },
  });
}

const op = (query: string, variables: Record<string, unknown> = {}, s = server) => resultOf(s.url, query, variables);

const createLibrary = (name: string, fields: { name: string; type: string }[] = [], s = server) =>
  op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ` +
      `... on CreateLibrarySuccess { library { id name fieldSchema { name type } } } ${errorsOf('createLibrary')} } }`,
    {
      i: { providerId: 'hw', name, fields },
    },
    s,
  );

const registerFace = (input: Record<string, unknown>, s = server) =>
  op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { replayed detectedFaceCount face { id vendorFaceId externalImageId fields ` +
      `boundingBox { x y width height } person { id } } }
      ${errorsOf('registerFace')} } }`,
    { i: input },
    s,
  );

const deleteFaces = (libraryId: string, filter: Record<string, unknown>, dryRun = false) =>
  op(
    `mutation($l: ID!, $f: FaceFilter!, $d: Boolean) { deleteFaces(libraryId: $l, filter: $f, dryRun: $d) { __typename
      ... on DeleteFacesSuccess { dryRun matchedCount deletedCount deletedFaceIds ` +
      `failures { faceId error { __typename code } } plan { strategy vendorCalls } }
      ${errorsOf('deleteFaces')} } }`,
    { l: libraryId, f: filter, d: dryRun },
  );

const ledgerFaceIds = async (libraryId: string) => {
  const library = await op(
    `query($id: ID!) { library(id: $id) { faces(first: 100) { edges { node { vendorFaceId } } } } }`,
    { id: libraryId },
  );
  return library.faces.edges.map((e: { node: { vendorFaceId: string } }) => e.node.vendorFaceId).sort();
};
const vendorFaceIds = (set: string) =>
  emulatorFaces(set)
    .map((f) => f.face_id)
    .sort();

beforeAll(async () => {
  emulator = await startFrsEmulator({
    projectId: PROJECT,
    credentials: [{ accessKeyId: AK, secretAccessKey: SK }],
    iamUsers: [{ name: 'fg-user', password: 'fg-password', domainName: 'fg-account' }],
    akLockout: false,
  });
  server = await startServerFor({ accessKeyId: AK, secretAccessKey: SK });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});
afterEach(() => emulator.faults.clear());

describe('a HUAWEI_FRS library through GraphQL, signed with AK/SK', () => {
  let libraryId: string;
  let personId: string;
  let faceA: { id: string; vendorFaceId: string };

  test('the provider reports what FRS does natively and what facegraph emulates', async () => {
    const providers = await op(
      `{ providers { id kind region capabilities { createLibrary registerFace updateFace deleteFaces ` +
        `deleteFacesByFilter customFields persons searchFaces imageUrl imageBase64 requiresTraining } } }`,
    );
    expect(providers.find((p: { id: string }) => p.id === 'hw')).toEqual({
      id: 'hw',
      kind: 'HUAWEI_FRS',
      region: 'cn-north-4',
      capabilities: {
        createLibrary: 'NATIVE',
        registerFace: 'NATIVE',
        updateFace: 'NATIVE',
        deleteFaces: 'NATIVE',
        deleteFacesByFilter: 'NATIVE',
        customFields: 'NATIVE',
        persons: 'EMULATED',
        searchFaces: 'NATIVE',
        imageUrl: true,
        imageBase64: true,
        requiresTraining: false,
      },
    });
  });

  test('createLibrary creates the face set with its external_fields and the reserved ones', async () => {
    const result = await createLibrary('staff', [
      { name: 'dept', type: 'STRING' },
      { name: 'level', type: 'INTEGER' },
    ]);
    expect(result.__typename).toBe('CreateLibrarySuccess');
    libraryId = result.library.id;
    expect(emulator.state.getFaceSet('staff')?.external_fields).toEqual({
      dept: { type: 'string' },
      level: { type: 'integer' },
      fg_person: { type: 'string' },
      fg_request: { type: 'string' },
    });
  });

  test('createPerson keeps the person in the ledger (FRS has none)', async () => {
    const result = await op(
      `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename ` +
        `... on CreatePersonSuccess { person { id externalId } } ${errorsOf('createPerson')} } }`,
      {
        i: { libraryId, externalId: 'emp-7', name: 'Grace' },
      },
    );
    expect(result).toMatchObject({ __typename: 'CreatePersonSuccess', person: { externalId: 'emp-7' } });
    personId = result.person.id;
    expect(emulator.requests.filter((r) => r.operation !== 'createFaceSet')).toHaveLength(0);
  });

  test('registerFace adds the face with its fields and the person in fg_person', async () => {
    const result = await registerFace({
      libraryId,
      personId,
      image: { base64: b64(await facePhoto('A')) },
      externalImageId: 'badge-1',
      fields: { dept: 'sales', level: 3 },
    });
    expect(result).toMatchObject({
      __typename: 'RegisterFaceSuccess',
      face: { externalImageId: 'badge-1', fields: { dept: 'sales', level: 3 }, person: { id: personId } },
    });
    faceA = result.face;
    const [stored] = emulatorFaces('staff');
    expect(stored.face_id).toBe(faceA.vendorFaceId);
    expect(stored.external_fields).toMatchObject({ dept: 'sales', level: 3, fg_person: 'emp-7' });
    expect(result.face.boundingBox).toEqual({
      x: stored.bounding_box.top_left_x,
      y: stored.bounding_box.top_left_y,
      width: stored.bounding_box.width,
      height: stored.bounding_box.height,
    });
  });

  test('a face the vendor gives an external_image_id keeps it', async () => {
    const result = await registerFace({
      libraryId,
      image: { base64: b64(await facePhoto('B')) },
      fields: { dept: 'ops', level: 1 },
    });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(result.face.externalImageId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(emulatorFaces('staff').map((f) => f.external_image_id)).toContain(result.face.externalImageId);
  });

  test('updateFace sends PUT faces and both sides agree', async () => {
    const result = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ` +
        `... on UpdateFaceSuccess { face { externalImageId fields } } ${errorsOf('updateFace')} } }`,
      {
        i: { faceId: faceA.id, externalImageId: 'badge-2', fields: { level: 4 } },
      },
    );
    expect(result).toEqual({
      __typename: 'UpdateFaceSuccess',
      face: { externalImageId: 'badge-2', fields: { dept: 'sales', level: 4 } },
    });
    const stored = emulatorFaces('staff').find((f) => f.face_id === faceA.vendorFaceId)!;
    expect(stored.external_image_id).toBe('badge-2');
    expect(stored.external_fields).toMatchObject({ dept: 'sales', level: 4, fg_person: 'emp-7' });
  });

  test('searchFaces finds the face by a re-encoded copy, with FRS similarity', async () => {
    const result = await op(
      `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, image: $i) { __typename ` +
        `... on SearchFacesSuccess { matches { similarity face { id } } } ${errorsOf('searchFaces')} } }`,
      {
        l: libraryId,
        i: { base64: b64(await facePhoto('A', 'jpeg', 3)) },
      },
    );
    expect(result.__typename).toBe('SearchFacesSuccess');
    expect(result.matches[0].face.id).toBe(faceA.id);
    expect(result.matches[0].similarity).toBeGreaterThan(0.9);
  });

  test(
    'deleteFaces by custom field: dryRun plans one native call, ' + 'then one batch delete removes exactly those',
    async () => {
      await registerFace({
        libraryId,
        image: { base64: b64(await facePhoto('B', 'png')) },
        fields: { dept: 'ops', level: 2 },
      });
      const planned = await deleteFaces(libraryId, { fields: { dept: 'ops' } }, true);
      expect(planned).toMatchObject({
        dryRun: true,
        matchedCount: 2,
        deletedCount: 0,
        plan: { strategy: 'NATIVE', vendorCalls: 1 },
      });
      expect(emulatorFaces('staff')).toHaveLength(3);

      const before = emulator.requests.length;
      const done = await deleteFaces(libraryId, { fields: { dept: 'ops' } });
      expect(done).toMatchObject({ dryRun: false, matchedCount: 2, deletedCount: 2, failures: [] });
      const calls = emulator.requests.slice(before);
      expect(calls.map((r) => r.operation)).toEqual(['batchDeleteFaces']);
      expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('staff'));
    },
  );

  test('deleteFaces by person goes through the reserved fg_person field', async () => {
    const result = await deleteFaces(libraryId, { personId });
    expect(result).toMatchObject({ matchedCount: 1, deletedCount: 1, plan: { strategy: 'NATIVE' } });
    expect(emulatorFaces('staff')).toHaveLength(0);
  });

  test('deleteFaces by externalImageId uses DELETE ?external_image_id=, by ids one call per face', async () => {
    await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) }, externalImageId: 'same' });
    const second = await registerFace({
      libraryId,
      image: { base64: b64(await facePhoto('B')) },
      externalImageId: 'same',
    });
    const third = await registerFace({ libraryId, image: { base64: b64(await facePhoto('B', 'jpeg', 4)) } });

    let before = emulator.requests.length;
    expect(await deleteFaces(libraryId, { faceIds: [third.face.id] })).toMatchObject({
      deletedCount: 1,
      plan: { strategy: 'NATIVE', vendorCalls: 1 },
    });
    expect(emulator.requests.slice(before).map((r) => [r.operation, r.query])).toEqual([
      ['deleteFaces', [['face_id', third.face.vendorFaceId]]],
    ]);

    before = emulator.requests.length;
    expect(await deleteFaces(libraryId, { externalImageId: 'same' })).toMatchObject({
      deletedCount: 2,
      plan: { strategy: 'NATIVE', vendorCalls: 1 },
    });
    expect(emulator.requests.slice(before).map((r) => [r.operation, r.query])).toEqual([
      ['deleteFaces', [['external_image_id', 'same']]],
    ]);
    expect(emulatorFaces('staff')).toHaveLength(0);
    expect(second.__typename).toBe('RegisterFaceSuccess');
  });

  test('syncLibrary imports a face added at FRS outside the gateway', async () => {
    emulator.state.seedFaces('staff', 1, { dept: 'imported' });
    const result = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename ... on SyncLibrarySuccess { ` +
        `imported missingAtVendor unreadableAtVendor library { faceCount } } ${errorsOf('syncLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toEqual({
      __typename: 'SyncLibrarySuccess',
      imported: 1,
      missingAtVendor: 0,
      unreadableAtVendor: 0,
      library: { faceCount: 1 },
    });
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('staff'));
  });

  test('syncLibrary reads up to the 10000 offset+limit cap and reports the rest as unreadable', async () => {
    const big = (await createLibrary('big')).library.id;
    emulator.state.seedFaces('big', 10_001);
    const result = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename ` +
        `... on SyncLibrarySuccess { imported missingAtVendor unreadableAtVendor } ${errorsOf('syncLibrary')} } }`,
      { id: big },
    );
    expect(result).toEqual({
      __typename: 'SyncLibrarySuccess',
      imported: 10_000,
      missingAtVendor: 0,
      unreadableAtVendor: 1,
    });
    expect(emulator.requests.filter((r) => r.operation === 'queryFaces').every((r) => r.status === 200)).toBe(true);
  });

  test('deleteLibrary deletes the face set', async () => {
    const result = await op(
      `mutation($id: ID!) { deleteLibrary(id: $id) { __typename ` +
        `... on DeleteLibrarySuccess { deletedFaceCount } ${errorsOf('deleteLibrary')} } }`,
      { id: libraryId },
    );
    expect(result).toEqual({ __typename: 'DeleteLibrarySuccess', deletedFaceCount: 1 });
    expect(emulator.state.getFaceSet('staff')).toBeUndefined();
  });
});

describe('FRS rules and errors arrive as union members with the vendor detail', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('rules', [{ name: 'dept', type: 'STRING' }])).library.id;
  });

  test('a group photo is refused with MULTIPLE_FACES and leaves no face at FRS; LARGEST keeps one', async () => {
    const group = await (
      await import('sharp')
    )
      .default({ create: { width: 600, height: 200, channels: 3, background: '#886644' } })
      .jpeg()
      .toBuffer();
    const refused = await registerFace({ libraryId, image: { base64: b64(group) } });
    expect(refused).toMatchObject({ __typename: 'ImageRejectedError', reason: 'MULTIPLE_FACES' });
    expect(emulatorFaces('rules')).toHaveLength(0);
    const kept = await registerFace({ libraryId, image: { base64: b64(group) }, faceSelection: 'LARGEST' });
    expect(kept.__typename).toBe('RegisterFaceSuccess');
    expect(emulatorFaces('rules')).toHaveLength(1);
  });

  test('an image without a face is FRS.0404 -> ImageRejectedError NO_FACE', async () => {
    const dark = await (
      await import('sharp')
    )
      .default({ create: { width: 300, height: 300, channels: 3, background: '#000000' } })
      .jpeg()
      .toBuffer();
    const result = await registerFace({ libraryId, image: { base64: b64(dark) } });
    expect(result).toMatchObject({
      __typename: 'ImageRejectedError',
      reason: 'NO_FACE',
      vendor: { code: 'FRS.0404', httpStatus: 400 },
    });
    expect(result.vendor.requestId).toBeTruthy();
  });

  test('a face set created outside the gateway makes createLibrary FRS.0301 -> AlreadyExistsError', async () => {
    await createLibrary('taken');
    await server.facegraph.ledger.deleteLibrary(
      (await server.facegraph.ledger.librariesByKey([{ providerId: 'hw', name: 'taken' }]))[0]!.rowId,
    );
    expect(await createLibrary('taken')).toMatchObject({
      __typename: 'AlreadyExistsError',
      resource: 'LIBRARY',
      id: 'taken',
    });
  });

  test('FRS-only input rules are InvalidInputError before any call', async () => {
    const before = emulator.requests.length;
    expect(await createLibrary('bad', [{ name: 'fg_person', type: 'STRING' }])).toMatchObject({
      __typename: 'InvalidInputError',
      constraint: 'RESERVED_FIELD',
    });
    const tooMany = Array.from({ length: 9 }, (_, i) => ({ name: `f${i}`, type: 'STRING' }));
    expect(await createLibrary('bad', tooMany)).toMatchObject({
      __typename: 'InvalidInputError',
      constraint: 'MAX_FIELDS',
    });
    expect(
      await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) }, externalImageId: 'has space' }),
    ).toMatchObject({ __typename: 'InvalidInputError', constraint: 'EXTERNAL_IMAGE_ID' });
    expect(
      await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) }, fields: { dept: 'a b' } }),
    ).toMatchObject({ __typename: 'InvalidInputError', field: 'input.fields.dept' });
    expect(emulator.requests.length).toBe(before);
  });

  test.each([
    ['FRS.0002', 403, 'VendorAuthError'],
    ['APIGW.0301', 401, 'VendorAuthError'],
    ['APIG.0301', 401, 'VendorAuthError'],
    ['FRS.0019', 400, 'VendorAuthError'],
    ['FRS.0028', 403, 'VendorAuthError'],
    ['FRS.0202', 400, 'VendorAuthError'],
    ['FRS.0020', 400, 'VendorUnavailableError'],
    ['APIG.0101', 404, 'VendorUnavailableError'],
    ['FRS.0018', 500, 'VendorUnavailableError'],
    ['FRS.0033', 429, 'RateLimitedError'],
    ['FRS.0305', 400, 'QuotaExceededError'],
    ['FRS.0306', 403, 'QuotaExceededError'],
    ['FRS.0013', 400, 'ImageRejectedError'],
    ['FRS.0015', 400, 'ImageRejectedError'],
    ['FRS.0016', 400, 'ImageRejectedError'],
    ['FRS.0017', 400, 'ImageRejectedError'],
    ['FRS.0021', 400, 'ImageRejectedError'],
    ['FRS.0022', 400, 'ImageRejectedError'],
    ['FRS.0404', 400, 'ImageRejectedError'],
    ['FRS.0010', 400, 'InvalidInputError'],
    ['FRS.0011', 400, 'InvalidInputError'],
    ['FRS.0012', 400, 'InvalidInputError'],
    ['FRS.0014', 400, 'InvalidInputError'],
    ['FRS.0302', 400, 'NotFoundError'],
  ])('registerFace answered with %s (HTTP %d) arrives as %s', async (code, status, typename) => {
    emulator.faults.next({
      kind: 'status',
      status,
      body: { error_code: code, error_msg: `emulated ${code}` },
      operation: 'addFaces',
      times: 5,
    });
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) } });
    expect(result.__typename).toBe(typename);
    if (result.vendor) expect(result.vendor).toMatchObject({ code, httpStatus: status });
    if (result.vendor) expect(result.vendor.requestId).toBeTruthy();
    expect(JSON.stringify(result)).not.toContain(SK);
  });

  test.each([
    ['FRS.0403', 'NotFoundError'],
    ['FRS.0303', 'NotFoundError'],
    ['FRS.0032', 'InvalidInputError'],
    ['FRS.0401', 'InvalidInputError'],
    ['FRS.0402', 'InvalidInputError'],
  ])('updateFace answered with %s arrives as %s', async (code, typename) => {
    const face = await registerFace({
      libraryId,
      image: { base64: b64(await facePhoto('A', 'jpeg', 5)) },
      faceSelection: 'LARGEST',
    });
    emulator.faults.next({
      kind: 'status',
      status: 400,
      body: { error_code: code, error_msg: `emulated ${code}` },
      operation: 'updateFace',
    });
    const result = await op(
      `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ${errorsOf('updateFace')} } }`,
      { i: { faceId: face.face.id, fields: { dept: 'x' } } },
    );
    expect(result.__typename).toBe(typename);
  });

  test('deleting by an externalImageId FRS does not know (FRS.0402) deletes nothing and is no error', async () => {
    emulator.faults.next({
      kind: 'status',
      status: 400,
      body: { error_code: 'FRS.0402', error_msg: 'External id is not exist, can not delete face' },
      operation: 'deleteFaces',
    });
    const face = await registerFace({
      libraryId,
      image: { base64: b64(await facePhoto('B', 'jpeg', 7)) },
      externalImageId: 'gone-at-vendor',
      faceSelection: 'LARGEST',
    });
    expect(face.__typename).toBe('RegisterFaceSuccess');
    const result = await deleteFaces(libraryId, { externalImageId: 'gone-at-vendor' });
    expect(result).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 1,
      deletedCount: 1,
      plan: { strategy: 'NATIVE' },
    });
  });

  test(
    'FRS.0304 on search is ImageRejectedError NO_FACE; ' + 'FRS.0407 on batch delete means nothing to delete',
    async () => {
      emulator.faults.next({
        kind: 'status',
        status: 400,
        body: { error_code: 'FRS.0304', error_msg: 'no face' },
        operation: 'searchFaces',
      });
      const search = await op(
        `query($l: ID!, $i: ImageInput!) { searchFaces(libraryId: $l, ` +
          `image: $i) { __typename ${errorsOf('searchFaces')} } }`,
        { l: libraryId, i: { base64: b64(await facePhoto('A')) } },
      );
      expect(search).toMatchObject({ __typename: 'ImageRejectedError', reason: 'NO_FACE' });
      emulator.faults.next({
        kind: 'status',
        status: 400,
        body: { error_code: 'FRS.0407', error_msg: 'All the data not suitable, no data to be deleted.' },
        operation: 'batchDeleteFaces',
      });
      const deleted = await deleteFaces(libraryId, { fields: { dept: 'nobody' } });
      expect(deleted).toMatchObject({ __typename: 'DeleteFacesSuccess', matchedCount: 0, deletedCount: 0 });
    },
  );
});

describe('faults end as typed errors or successful retries, and the ledger agrees with FRS', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = (await createLibrary('faults')).library.id;
  });

  test('a 429 with Retry-After is retried and succeeds', async () => {
    emulator.faults.next({ kind: 'status', status: 429, headers: { 'Retry-After': '1' }, operation: 'addFaces' });
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('A')) } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('faults'));
  });

  test('a 500 on an add is not re-sent blindly: a typed retryable error, and nothing extra at FRS', async () => {
    emulator.faults.next({ kind: 'status', status: 500, operation: 'addFaces' });
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('B')) } });
    expect(result).toMatchObject({
      __typename: 'VendorUnavailableError',
      retryable: true,
      vendor: { code: 'FRS.0018', httpStatus: 500 },
    });
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('faults'));
  });

  test('an add that FRS carried out but answered too late is withdrawn and re-sent: exactly one face', async () => {
    const before = emulatorFaces('faults').length;
    emulator.faults.next({ kind: 'delay', ms: 2_000, applyThenDelay: true, operation: 'addFaces' });
    const result = await registerFace({
      libraryId,
      image: { base64: b64(await facePhoto('A', 'png')) },
      externalImageId: 'late',
    });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(emulatorFaces('faults').filter((f) => f.external_image_id === 'late')).toHaveLength(1);
    expect(emulatorFaces('faults')).toHaveLength(before + 1);
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('faults'));
  });

  test('a dropped connection on an add is withdrawn and re-sent too', async () => {
    const before = emulatorFaces('faults').length;
    emulator.faults.next({ kind: 'drop', apply: true, operation: 'addFaces' });
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('B', 'png')) } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(emulatorFaces('faults')).toHaveLength(before + 1);
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('faults'));
  });

  test('malformed JSON from a read is a typed retryable error, and nothing is taken as missing', async () => {
    emulator.faults.next({ kind: 'malformed-json', operation: 'getFaceSet' });
    const result = await op(`mutation($id: ID!) { syncLibrary(id: $id) { __typename ${errorsOf('syncLibrary')} } }`, {
      id: libraryId,
    });
    expect(result).toMatchObject({
      __typename: 'VendorUnavailableError',
      retryable: true,
      vendor: { code: 'MALFORMED_RESPONSE', httpStatus: 200 },
    });
    const synced = await op(
      `mutation($id: ID!) { syncLibrary(id: $id) { __typename ... on SyncLibrarySuccess { missingAtVendor } } }`,
      { id: libraryId },
    );
    expect(synced).toEqual({ __typename: 'SyncLibrarySuccess', missingAtVendor: 0 });
  });

  test('an add answered with malformed JSON after FRS acted is withdrawn and re-sent: exactly one face', async () => {
    const before = emulatorFaces('faults').length;
    emulator.faults.next({ kind: 'malformed-json', apply: true, operation: 'addFaces' });
    const result = await registerFace({ libraryId, image: { base64: b64(await facePhoto('A', 'jpeg', 6)) } });
    expect(result.__typename).toBe('RegisterFaceSuccess');
    expect(emulatorFaces('faults')).toHaveLength(before + 1);
    expect(await ledgerFaceIds(libraryId)).toEqual(vendorFaceIds('faults'));
  });

  test('a read that keeps timing out ends as a retryable VendorUnavailableError', async () => {
    emulator.faults.next({ kind: 'delay', ms: 1_500, operation: 'getFaceSet', times: 3 });
    const result = await op(`mutation($id: ID!) { syncLibrary(id: $id) { __typename ${errorsOf('syncLibrary')} } }`, {
      id: libraryId,
    });
    expect(result).toMatchObject({ __typename: 'VendorUnavailableError', retryable: true });
  });
});

describe('authentication', () => {
  test('a wrong secret key is refused by the signature check: VendorAuthError APIGW.0301', async () => {
    const wrong = await startServerFor({ accessKeyId: AK, secretAccessKey: 'not-the-secret' });
    try {
      const result = await op(
        `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ${errorsOf('createLibrary')} } }`,
        { i: { providerId: 'hw', name: 'nope' } },
        wrong,
      );
      expect(result).toMatchObject({ __typename: 'VendorAuthError', vendor: { code: 'APIGW.0301', httpStatus: 401 } });
      expect(JSON.stringify(result)).not.toContain('not-the-secret');
    } finally {
      await wrong.close();
    }
  });

  test('IAM password credentials get a token and work; a wrong password is VendorAuthError', async () => {
    const byToken = await startServerFor({ username: 'fg-user', password: 'fg-password', domainName: 'fg-account' });
    const badPassword = await startServerFor({ username: 'fg-user', password: 'wrong', domainName: 'fg-account' });
    try {
      expect((await createLibrary('via_token', [], byToken)).__typename).toBe('CreateLibrarySuccess');
      expect(emulator.requests.some((r) => r.operation === 'iamToken')).toBe(true);
      const refused = await createLibrary('via_bad', [], badPassword);
      expect(refused.__typename).toBe('VendorAuthError');
      expect(JSON.stringify(refused)).not.toContain('wrong');
    } finally {
      await byToken.close();
      await badPassword.close();
    }
  });

  test('a token request answered 503, then not in time, is retried and logged without secrets', async () => {
    const lines: string[] = [];
    const user = { username: 'fg-user', password: 'fg-password', domainName: 'fg-account' };
    const byPassword = await startServerFor(user, {}, { write: (line) => void lines.push(line) });
    try {
      const before = emulator.requests.length;
      emulator.faults.next({ kind: 'status', status: 503, operation: 'iamToken' });
      emulator.faults.next({ kind: 'delay', ms: 1_500, operation: 'iamToken' });
      expect((await createLibrary('token_retried', [], byPassword)).__typename).toBe('CreateLibrarySuccess');
      const tokenRequests = emulator.requests.slice(before).filter((r) => r.operation === 'iamToken');
      expect(tokenRequests.map((r) => r.status)).toEqual([503, null, 201]);
      const logged = lines.map((line) => JSON.parse(line));
      const retries = logged.filter((l) => l.msg === 'retrying vendor request' && l.operation === 'iam.getToken');
      expect(retries).toHaveLength(2);
      expect(lines.join('\n')).not.toContain('fg-password');
    } finally {
      await byPassword.close();
    }
  });

  test('a fixed token is sent as X-Auth-Token', async () => {
    const token = emulator.issueToken();
    const withToken = await startServerFor({ token });
    try {
      expect((await createLibrary('fixed_token', [], withToken)).__typename).toBe('CreateLibrarySuccess');
      expect(emulator.requests.at(-1)?.auth).toBe('token');
    } finally {
      await withToken.close();
    }
  });
});
