import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startAzureFaceEmulator, type AzureFaceEmulator } from '../emulators/azure-face';
import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import {
  CreateLibraryDocument,
  CreatePersonDocument,
  DeleteFacesDocument,
  DeleteLibraryDocument,
  DeletePersonDocument,
  LibraryFacesDocument,
  PersonCapabilitiesDocument,
  PersonDocument,
  RegisterFaceDocument,
  UpdateLibraryDocument,
  UpdatePersonDocument,
  type CreateLibraryInput,
  type CreatePersonInput,
  type RegisterFaceInput,
  type UpdateLibraryInput,
  type UpdatePersonInput,
} from '../generated/graphql';
import { facePhoto } from '../support/images';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

// Changing libraries and persons, and deleting persons with their faces, on every provider: the real server
// over HTTP with its SQLite ledger, the cloud providers pointed at their emulators.

const FRS = {
  projectId: '0123456789abcdef0123456789abcdef',
  accessKeyId: 'EMULATORAK000000001',
  secretAccessKey: 'emulator-secret-key-0001',
};
const AZURE_KEY = 'emulator-subscription-key-0001';
const MTS = { accessKeyId: 'LTAIemulator0000001', accessKeySecret: 'emulator-access-key-secret-0001' };

let frs: FrsEmulator;
let azure: AzureFaceEmulator;
let mts: MtsEmulator;
let server: TestServer;

beforeAll(async () => {
  frs = await startFrsEmulator({
    projectId: FRS.projectId,
    credentials: [{ accessKeyId: FRS.accessKeyId, secretAccessKey: FRS.secretAccessKey }],
    akLockout: false,
  });
  azure = await startAzureFaceEmulator({ subscriptionKeys: [AZURE_KEY], trainingMs: 50 });
  mts = await startMtsEmulator({ credentials: [MTS] });
  server = await startTestServer({
    configure: (c) => {
      c.providers.push(
        {
          id: 'hw',
          kind: 'HUAWEI_FRS',
          region: 'cn-north-4',
          projectId: FRS.projectId,
          endpoint: frs.endpoint,
          iamEndpoint: frs.iamEndpoint,
          credentials: { accessKeyId: FRS.accessKeyId, secretAccessKey: FRS.secretAccessKey },
          timeoutMs: 2_000,
        } as never,
        {
          id: 'az',
          kind: 'AZURE_FACE',
          endpoint: azure.endpoint,
          credentials: { subscriptionKey: AZURE_KEY },
          timeoutMs: 2_000,
        } as never,
        {
          id: 'ali',
          kind: 'ALIBABA_MTS',
          region: 'cn-shanghai',
          endpoint: mts.endpoint,
          credentials: MTS,
          timeoutMs: 2_000,
        } as never,
      );
    },
  });
});
afterAll(async () => {
  await server?.close();
  await Promise.all([frs?.close(), azure?.close(), mts?.close()]);
});

const b64 = (bytes: Buffer) => bytes.toString('base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function createLibrary(input: CreateLibraryInput) {
  const { createLibrary } = await execute(server.url, CreateLibraryDocument, { input });
  if (createLibrary.__typename !== 'CreateLibrarySuccess')
    throw new Error(`createLibrary failed: ${JSON.stringify(createLibrary)}`);
  return createLibrary.library;
}

async function createPerson(input: CreatePersonInput) {
  const { createPerson } = await execute(server.url, CreatePersonDocument, { input });
  if (createPerson.__typename !== 'CreatePersonSuccess')
    throw new Error(`createPerson failed: ${JSON.stringify(createPerson)}`);
  return createPerson.person;
}

async function registerFace(input: RegisterFaceInput) {
  const { registerFace } = await execute(server.url, RegisterFaceDocument, { input });
  return registerFace;
}

async function registeredFace(input: RegisterFaceInput) {
  const result = await registerFace(input);
  if (result.__typename !== 'RegisterFaceSuccess') throw new Error(`registerFace failed: ${JSON.stringify(result)}`);
  return result.face;
}

const updateLibrary = async (input: UpdateLibraryInput) =>
  (await execute(server.url, UpdateLibraryDocument, { input })).updateLibrary;
const updatePerson = async (input: UpdatePersonInput) =>
  (await execute(server.url, UpdatePersonDocument, { input })).updatePerson;
const deletePerson = async (id: string) => (await execute(server.url, DeletePersonDocument, { id })).deletePerson;
const person = async (id: string) => (await execute(server.url, PersonDocument, { id })).person;

async function ledgerFaces(libraryId: string, filter: Record<string, unknown> | null = null) {
  const { library } = await execute(server.url, LibraryFacesDocument, { id: libraryId, filter, first: 100 });
  return library!.faces.edges.map((e) => e.node);
}

const libraryShape = async (id: string) =>
  (await gql(server.url, 'query($id: ID!) { library(id: $id) { displayName fieldSchema { name type } } }', { id }))
    .data;

const faceExists = async (id: string) =>
  (await gql(server.url, 'query($id: ID!) { face(id: $id) { id } }', { id })).data.face !== null;

test('every provider reports whether it updates and deletes persons natively or through the ledger', async () => {
  const { providers } = await execute(server.url, PersonCapabilitiesDocument);
  expect(Object.fromEntries(providers.map((p) => [p.id, p.capabilities]))).toEqual({
    local: { persons: 'NATIVE', updatePerson: 'NATIVE', deletePerson: 'NATIVE' },
    hw: { persons: 'EMULATED', updatePerson: 'EMULATED', deletePerson: 'EMULATED' },
    az: { persons: 'NATIVE', updatePerson: 'NATIVE', deletePerson: 'NATIVE' },
    ali: { persons: 'NATIVE', updatePerson: 'NATIVE', deletePerson: 'NATIVE' },
  });
});

describe('LOCAL', () => {
  let libraryId: string;

  beforeAll(async () => {
    libraryId = (
      await createLibrary({
        providerId: 'local',
        name: 'local-staff',
        displayName: 'Staff',
        fields: [{ name: 'dept', type: 'STRING' }],
      })
    ).id;
  });

  test('updatePerson changes the given parts, keeps the others, and null clears one', async () => {
    const p = await createPerson({ libraryId, externalId: 'ada', name: 'Ada', userData: 'desk 4' });
    expect(await updatePerson({ personId: p.id, name: 'Ada Lovelace' })).toEqual({
      __typename: 'UpdatePersonSuccess',
      person: { id: p.id, externalId: 'ada', name: 'Ada Lovelace', userData: 'desk 4', faces: { totalCount: 0 } },
    });
    expect(await updatePerson({ personId: p.id, userData: null })).toMatchObject({
      person: { name: 'Ada Lovelace', userData: null },
    });
    expect(await person(p.id)).toMatchObject({ name: 'Ada Lovelace', userData: null });
  });

  test('deletePerson deletes the person, its faces, and their image files unless another face uses them', async () => {
    const [shared, own] = [await facePhoto('A', 'jpeg', 1), await facePhoto('A', 'jpeg', 2)];
    const leaving = await createPerson({ libraryId, externalId: 'leaving' });
    const staying = await createPerson({ libraryId, externalId: 'staying' });
    const faces = [
      await registeredFace({ libraryId, personId: leaving.id, image: { base64: b64(shared) } }),
      await registeredFace({ libraryId, personId: leaving.id, image: { base64: b64(own) } }),
    ];
    const kept = await registeredFace({ libraryId, personId: staying.id, image: { base64: b64(shared) } });
    const imageFile = (bytes: Buffer) => path.join(server.dataDir, 'images', sha256(bytes).slice(0, 2), sha256(bytes));
    expect(fs.existsSync(imageFile(own))).toBe(true);

    expect(await deletePerson(leaving.id)).toEqual({
      __typename: 'DeletePersonSuccess',
      deletedId: leaving.id,
      deletedFaceCount: 2,
    });
    expect(await person(leaving.id)).toBeNull();
    for (const face of faces) expect(await faceExists(face.id)).toBe(false);
    expect((await ledgerFaces(libraryId)).map((f) => f.id)).toEqual([kept.id]);
    expect(fs.existsSync(imageFile(own))).toBe(false);
    expect(fs.existsSync(imageFile(shared))).toBe(true);
    // Gone means gone: a second delete finds nothing.
    expect(await deletePerson(leaving.id)).toMatchObject({
      __typename: 'NotFoundError',
      resource: 'PERSON',
      id: leaving.id,
    });
  });

  test('updateLibrary changes the display name and adds a field that registerFace then accepts', async () => {
    // Read first, so a stale cached answer would show below.
    expect(await libraryShape(libraryId)).toEqual({
      library: { displayName: 'Staff', fieldSchema: [{ name: 'dept', type: 'STRING' }] },
    });
    const result = await updateLibrary({
      id: libraryId,
      displayName: 'All staff',
      addFields: [
        { name: 'site', type: 'STRING' },
        { name: 'floor', type: 'INTEGER' },
      ],
    });
    expect(result).toMatchObject({
      __typename: 'UpdateLibrarySuccess',
      library: {
        id: libraryId,
        displayName: 'All staff',
        fieldSchema: [
          { name: 'dept', type: 'STRING' },
          { name: 'site', type: 'STRING' },
          { name: 'floor', type: 'INTEGER' },
        ],
      },
    });
    expect(await libraryShape(libraryId)).toEqual({
      library: {
        displayName: 'All staff',
        fieldSchema: result.__typename === 'UpdateLibrarySuccess' ? result.library.fieldSchema : [],
      },
    });
    const face = await registeredFace({
      libraryId,
      image: { base64: b64(await facePhoto('B')) },
      fields: { dept: 'ops', site: 'north', floor: 3 },
    });
    expect(face.fields).toEqual({ dept: 'ops', site: 'north', floor: 3 });
    expect((await ledgerFaces(libraryId, { fields: { site: 'north' } })).map((f) => f.id)).toEqual([face.id]);
    expect(await updateLibrary({ id: libraryId, displayName: null })).toMatchObject({
      library: { displayName: null, fieldSchema: expect.arrayContaining([{ name: 'floor', type: 'INTEGER' }]) },
    });
  });

  test('updateLibrary refuses bad input, naming the field and what is allowed, and changes nothing', async () => {
    const before = await libraryShape(libraryId);
    const cases: [UpdateLibraryInput, string, string][] = [
      [
        { id: libraryId, displayName: 'Changed', addFields: [{ name: 'dept', type: 'INTEGER' }] },
        'input.addFields[0].name',
        'unique',
      ],
      [
        { id: libraryId, addFields: [{ name: 'bad name', type: 'STRING' }] },
        'input.addFields[0].name',
        'pattern:^[A-Za-z0-9_-]{1,36}$',
      ],
      [{ id: libraryId, addFields: [{ name: 'face_id', type: 'STRING' }] }, 'input.addFields[0].name', 'reserved'],
      [
        {
          id: libraryId,
          addFields: [
            { name: 'x', type: 'STRING' },
            { name: 'x', type: 'LONG' },
          ],
        },
        'input.addFields[1].name',
        'unique',
      ],
      [
        {
          id: libraryId,
          addFields: Array.from({ length: 8 }, (_, i) => ({ name: `f${i}`, type: 'BOOLEAN' as const })),
        },
        'input.addFields',
        'maxCount:10',
      ],
      [{ id: libraryId, displayName: '' }, 'input.displayName', 'NOT_EMPTY'],
      [{ id: libraryId }, 'input', 'AT_LEAST_ONE'],
      [{ id: libraryId, addFields: [] }, 'input', 'AT_LEAST_ONE'],
      [{ id: 'not-an-id' }, 'input.id', 'GLOBAL_ID'],
    ];
    for (const [input, field, constraint] of cases) {
      const result = await updateLibrary(input);
      expect({ input, result }).toMatchObject({
        input,
        result: { __typename: 'InvalidInputError', code: 'INVALID_INPUT', field, constraint },
      });
    }
    const dept = (await updateLibrary({ id: libraryId, addFields: [{ name: 'dept', type: 'INTEGER' }] })) as {
      message: string;
    };
    expect(dept.message).toMatch(/already declares field 'dept' \(STRING\)/);
    const tooMany = (await updateLibrary({
      id: libraryId,
      addFields: Array.from({ length: 8 }, (_, i) => ({ name: `f${i}`, type: 'BOOLEAN' as const })),
    })) as { message: string };
    expect(tooMany.message).toMatch(/at most 10 custom fields; 'local-staff' has 3, so at most 7 more/);
    expect(await libraryShape(libraryId)).toEqual(before);
  });

  test('unknown ids are NotFoundError; malformed ids and bad values InvalidInputError naming the field', async () => {
    // Ids of a library and a person that existed once: well-formed, unknown now.
    const goneLibrary = (await createLibrary({ providerId: 'local', name: 'gone-soon' })).id;
    expect((await execute(server.url, DeleteLibraryDocument, { id: goneLibrary })).deleteLibrary.__typename).toBe(
      'DeleteLibrarySuccess',
    );
    expect(await updateLibrary({ id: goneLibrary, displayName: 'x' })).toMatchObject({
      __typename: 'NotFoundError',
      resource: 'LIBRARY',
      id: goneLibrary,
    });
    const gonePerson = (await createPerson({ libraryId, externalId: 'gone' })).id;
    expect((await deletePerson(gonePerson)).__typename).toBe('DeletePersonSuccess');
    expect(await updatePerson({ personId: gonePerson, name: 'x' })).toMatchObject({
      __typename: 'NotFoundError',
      resource: 'PERSON',
      id: gonePerson,
    });
    expect(await deletePerson(gonePerson)).toMatchObject({
      __typename: 'NotFoundError',
      resource: 'PERSON',
      id: gonePerson,
    });

    const p = await createPerson({ libraryId, externalId: 'someone' });
    expect(await updatePerson({ personId: 'nope', name: 'x' })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.personId',
      constraint: 'GLOBAL_ID',
    });
    expect(await updatePerson({ personId: libraryId, name: 'x' })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.personId',
      constraint: 'GLOBAL_ID_TYPE',
    });
    expect(await deletePerson(libraryId)).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'id',
      constraint: 'GLOBAL_ID_TYPE',
    });
    expect(await updatePerson({ personId: p.id })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input',
      constraint: 'AT_LEAST_ONE',
    });
    expect(await updatePerson({ personId: p.id, name: '' })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.name',
      constraint: 'NOT_EMPTY',
    });
    expect(await updatePerson({ personId: p.id, name: 'x'.repeat(129) })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.name',
      constraint: 'MAX_LENGTH',
    });
    expect(await person(p.id)).toMatchObject({ name: null, userData: null });
  });
});

describe('HUAWEI_FRS', () => {
  let libraryId: string;
  const set = 'frs-staff';
  const requests = (operation: string) => frs.requests.filter((r) => r.operation === operation);

  beforeAll(async () => {
    libraryId = (await createLibrary({ providerId: 'hw', name: set, fields: [{ name: 'dept', type: 'STRING' }] })).id;
  });

  test('updatePerson changes the ledger only: FRS has no persons', async () => {
    const p = await createPerson({ libraryId, externalId: 'ada', name: 'Ada' });
    const before = frs.requests.length;
    expect(await updatePerson({ personId: p.id, name: 'Ada L.', userData: 'desk 4' })).toMatchObject({
      __typename: 'UpdatePersonSuccess',
      person: { name: 'Ada L.', userData: 'desk 4' },
    });
    expect(frs.requests.length).toBe(before);
  });

  test('deletePerson is one batch delete by the reserved fg_person field; the faces leave the ledger', async () => {
    const leaving = await createPerson({ libraryId, externalId: 'leaving' });
    const staying = await createPerson({ libraryId, externalId: 'staying' });
    const gone = [
      await registeredFace({
        libraryId,
        personId: leaving.id,
        image: { base64: b64(await facePhoto('A', 'jpeg', 1)) },
        fields: { dept: 'a' },
      }),
      await registeredFace({
        libraryId,
        personId: leaving.id,
        image: { base64: b64(await facePhoto('A', 'jpeg', 2)) },
      }),
    ];
    const kept = await registeredFace({
      libraryId,
      personId: staying.id,
      image: { base64: b64(await facePhoto('B')) },
    });
    const batchDeletes = requests('batchDeleteFaces').length;

    expect(await deletePerson(leaving.id)).toEqual({
      __typename: 'DeletePersonSuccess',
      deletedId: leaving.id,
      deletedFaceCount: 2,
    });
    expect(requests('batchDeleteFaces')).toHaveLength(batchDeletes + 1);
    expect(frs.state.faces(set).map((f) => f.face_id)).toEqual([kept.vendorFaceId]);
    expect((await ledgerFaces(libraryId)).map((f) => f.id)).toEqual([kept.id]);
    for (const face of gone) expect(await faceExists(face.id)).toBe(false);
    expect(await person(leaving.id)).toBeNull();
  });

  test("updateLibrary adds fields the ledger keeps (a face set's are fixed); registerFace accepts them", async () => {
    expect(
      await updateLibrary({ id: libraryId, displayName: 'Staff', addFields: [{ name: 'site', type: 'STRING' }] }),
    ).toMatchObject({
      __typename: 'UpdateLibrarySuccess',
      library: {
        displayName: 'Staff',
        fieldSchema: [
          { name: 'dept', type: 'STRING' },
          { name: 'site', type: 'STRING' },
        ],
      },
    });
    expect(Object.keys(frs.state.getFaceSet(set)!.external_fields).sort()).toEqual(['dept', 'fg_person', 'fg_request']);
    const face = await registeredFace({
      libraryId,
      image: { base64: b64(await facePhoto('A', 'jpeg', 3)) },
      fields: { dept: 'ops', site: 'north' },
    });
    expect(face.fields).toEqual({ dept: 'ops', site: 'north' });
    const atVendor = frs.state.faces(set).find((f) => f.face_id === face.vendorFaceId)!;
    expect(atVendor.external_fields).toMatchObject({ dept: 'ops' });
    expect(atVendor.external_fields).not.toHaveProperty('site');

    // FRS cannot match a ledger-only field: such a delete goes face by face; a vendor field stays one call.
    const { deleteFaces } = await execute(server.url, DeleteFacesDocument, {
      libraryId,
      filter: { fields: { site: 'north' } },
      dryRun: true,
    });
    expect(deleteFaces).toMatchObject({
      __typename: 'DeleteFacesSuccess',
      matchedCount: 1,
      plan: { strategy: 'EMULATED', vendorCalls: 1 },
    });
    const byDept = (
      await execute(server.url, DeleteFacesDocument, { libraryId, filter: { fields: { dept: 'ops' } }, dryRun: true })
    ).deleteFaces;
    expect(byDept).toMatchObject({ plan: { strategy: 'NATIVE', vendorCalls: 1 } });
    const deleted = (
      await execute(server.url, DeleteFacesDocument, { libraryId, filter: { fields: { site: 'north' } } })
    ).deleteFaces;
    expect(deleted).toMatchObject({ __typename: 'DeleteFacesSuccess', deletedCount: 1, failures: [] });
    expect(frs.state.faces(set).some((f) => f.face_id === face.vendorFaceId)).toBe(false);
  });

  test('deletePerson of a person whose id no FRS filter holds (leading -) deletes its faces one by one', async () => {
    const p = await createPerson({ libraryId, externalId: '-dash' });
    const faces = [
      await registeredFace({ libraryId, personId: p.id, image: { base64: b64(await facePhoto('A', 'jpeg', 5)) } }),
      await registeredFace({ libraryId, personId: p.id, image: { base64: b64(await facePhoto('A', 'jpeg', 6)) } }),
    ];
    const [batches, byField] = [requests('batchDeleteFaces').length, requests('deleteFaces').length];
    expect(await deletePerson(p.id)).toEqual({
      __typename: 'DeletePersonSuccess',
      deletedId: p.id,
      deletedFaceCount: 2,
    });
    expect(requests('batchDeleteFaces')).toHaveLength(batches);
    const deletes = requests('deleteFaces').slice(byField);
    expect(deletes.map((r) => r.query)).toEqual(faces.map((f) => [['face_id', f.vendorFaceId]]));
    const left = frs.state.faces(set).map((f) => f.face_id);
    for (const face of faces) expect(left).not.toContain(face.vendorFaceId);
  });

  test("updateLibrary keeps FRS's limit of 10 fields, 2 of them facegraph's, and its reserved names", async () => {
    const full = await createLibrary({
      providerId: 'hw',
      name: 'frs-full',
      fields: Array.from({ length: 7 }, (_, i) => ({ name: `f${i}`, type: 'STRING' as const })),
    });
    const tooMany = await updateLibrary({
      id: full.id,
      addFields: [
        { name: 'g1', type: 'STRING' },
        { name: 'g2', type: 'STRING' },
      ],
    });
    expect(tooMany).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.addFields',
      constraint: 'MAX_FIELDS',
    });
    expect((tooMany as { message: string }).message).toMatch(/at most 8; 'frs-full' has 7, so at most 1 more/);
    expect(await updateLibrary({ id: full.id, addFields: [{ name: 'fg_person', type: 'STRING' }] })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.addFields',
      constraint: 'RESERVED_FIELD',
    });
    expect(await updateLibrary({ id: full.id, addFields: [{ name: 'g1', type: 'STRING' }] })).toMatchObject({
      __typename: 'UpdateLibrarySuccess',
    });
  });
});

describe('AZURE_FACE', () => {
  const trainLibrary = (id: string) =>
    gql(
      server.url,
      `mutation($id: ID!) { trainLibrary(id: $id) { __typename
         ... on TrainLibrarySuccess { library { trainingStatus } } } }`,
      { id },
    );
  const trainingStatus = async (id: string) =>
    (await gql(server.url, 'query($id: ID!) { library(id: $id) { trainingStatus } }', { id })).data.library
      .trainingStatus;

  for (const kind of ['PersonGroup', 'LargePersonGroup'] as const) {
    describe(kind, () => {
      const groupId = `az-${kind.toLowerCase()}`;
      let libraryId: string;
      const group = () => azure.state.group(kind, groupId)!;

      beforeAll(async () => {
        libraryId = (
          await createLibrary({ providerId: 'az', name: groupId, kind, fields: [{ name: 'dept', type: 'STRING' }] })
        ).id;
      });

      test('updatePerson PATCHes the person; a cleared name becomes the default, cleared userData empty', async () => {
        const p = await createPerson({ libraryId, name: 'Ada', userData: 'desk 4' });
        expect(await updatePerson({ personId: p.id, name: 'Ada L.', userData: 'desk 5' })).toMatchObject({
          __typename: 'UpdatePersonSuccess',
          person: { id: p.id, name: 'Ada L.', userData: 'desk 5' },
        });
        expect(azure.requests.at(-1)).toMatchObject({ method: 'PATCH', operation: 'updatePerson' });
        expect(group().persons.get(p.externalId)).toMatchObject({ name: 'Ada L.', userData: 'desk 5' });
        expect(await updatePerson({ personId: p.id, name: null, userData: null })).toMatchObject({
          person: { name: null, userData: null },
        });
        expect(group().persons.get(p.externalId)).toMatchObject({ name: 'person', userData: '' });
      });

      test('deletePerson DELETEs the Azure person with its faces and marks the library NEEDS_TRAINING', async () => {
        const leaving = await createPerson({ libraryId, name: 'Leaving' });
        const staying = await createPerson({ libraryId, name: 'Staying' });
        const gone = await registeredFace({
          libraryId,
          personId: leaving.id,
          image: { base64: b64(await facePhoto('A')) },
          fields: { dept: 'a' },
        });
        const kept = await registeredFace({
          libraryId,
          personId: staying.id,
          image: { base64: b64(await facePhoto('B')) },
        });
        expect((await trainLibrary(libraryId)).data.trainLibrary).toMatchObject({
          library: { trainingStatus: 'SUCCEEDED' },
        });

        expect(await deletePerson(leaving.id)).toEqual({
          __typename: 'DeletePersonSuccess',
          deletedId: leaving.id,
          deletedFaceCount: 1,
        });
        expect(azure.requests.at(-1)).toMatchObject({ method: 'DELETE', operation: 'deletePerson', groupKind: kind });
        expect(group().persons.has(leaving.externalId)).toBe(false);
        expect(await faceExists(gone.id)).toBe(false);
        expect((await ledgerFaces(libraryId)).map((f) => f.id)).toEqual([kept.id]);
        expect(await trainingStatus(libraryId)).toBe('NEEDS_TRAINING');
        expect((await trainLibrary(libraryId)).data.trainLibrary).toMatchObject({
          library: { trainingStatus: 'SUCCEEDED' },
        });
      });

      test('deletePerson of a person already gone at Azure completes in the ledger', async () => {
        const p = await createPerson({ libraryId, name: 'Deleted elsewhere' });
        group().persons.delete(p.externalId);
        expect(await deletePerson(p.id)).toMatchObject({ __typename: 'DeletePersonSuccess', deletedFaceCount: 0 });
        expect(await person(p.id)).toBeNull();
      });

      test("updateLibrary renames the group after the display name; added fields go in faces' userData", async () => {
        expect(
          await updateLibrary({
            id: libraryId,
            displayName: 'Front desk',
            addFields: [{ name: 'site', type: 'STRING' }],
          }),
        ).toMatchObject({
          __typename: 'UpdateLibrarySuccess',
          library: {
            displayName: 'Front desk',
            fieldSchema: [
              { name: 'dept', type: 'STRING' },
              { name: 'site', type: 'STRING' },
            ],
          },
        });
        expect(group().name).toBe('Front desk');
        const p = await createPerson({ libraryId, name: 'New' });
        const face = await registeredFace({
          libraryId,
          personId: p.id,
          image: { base64: b64(await facePhoto('A', 'jpeg', 4)) },
          fields: { site: 'north' },
        });
        expect(face.fields).toEqual({ site: 'north' });
        expect(JSON.parse(group().persons.get(p.externalId)!.faces.get(face.vendorFaceId)!.userData!)).toMatchObject({
          fields: { site: 'north' },
        });
        await updateLibrary({ id: libraryId, displayName: null });
        expect(group().name).toBe(groupId);
      });
    });
  }
});

describe('ALIBABA_MTS', () => {
  let libraryId: string;
  const category = 'mts-staff';
  let urls = 0;
  async function hostedFace(who: 'A' | 'B') {
    const url = `https://faces-bucket.oss-cn-shanghai.aliyuncs.com/persons/${who}-${++urls}.jpg`;
    mts.images.set(url, await facePhoto(who, 'jpeg', urls % 10));
    return url;
  }

  beforeAll(async () => {
    libraryId = (await createLibrary({ providerId: 'ali', name: category, fields: [{ name: 'dept', type: 'STRING' }] }))
      .id;
  });

  test('updatePerson tags the MTS person: name is PersonName, userData is PersonDescription', async () => {
    const p = await createPerson({ libraryId, externalId: 'emp-1', name: 'Zhang San', userData: 'desk 4' });
    expect(mts.requests.at(-1)).toMatchObject({
      action: 'TagCustomPerson',
      params: { PersonName: 'Zhang San', PersonDescription: 'desk 4' },
    });
    expect(await updatePerson({ personId: p.id, name: 'Li Si', userData: 'desk 5' })).toMatchObject({
      __typename: 'UpdatePersonSuccess',
      person: { name: 'Li Si', userData: 'desk 5' },
    });
    expect(mts.requests.at(-1)).toMatchObject({
      action: 'TagCustomPerson',
      params: { CategoryId: category, PersonId: 'emp-1', PersonName: 'Li Si', PersonDescription: 'desk 5' },
    });
    expect(mts.state.person(category, 'emp-1')).toMatchObject({ personName: 'Li Si', personDescription: 'desk 5' });
  });

  test('updatePerson refuses what MTS cannot hold: a cleared name or userData, over 512 characters', async () => {
    const p = await createPerson({ libraryId, externalId: 'emp-2', name: 'Wang Wu' });
    const before = mts.requests.length;
    expect(await updatePerson({ personId: p.id, name: null })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.name',
      constraint: 'NOT_NULL',
    });
    expect(await updatePerson({ personId: p.id, userData: null })).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.userData',
      constraint: 'NOT_NULL',
    });
    const long = await updatePerson({ personId: p.id, userData: 'x'.repeat(513) });
    expect(long).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'input.userData',
      constraint: 'MTS_TAG_LENGTH',
    });
    expect((long as { message: string }).message).toMatch(
      /PersonDescription, which holds at most 512 characters; this one has 513/,
    );
    expect(mts.requests.length).toBe(before);
    expect(await person(p.id)).toMatchObject({ name: 'Wang Wu', userData: null });
  });

  test('deletePerson is UnregisterCustomFace with FaceId=ALL; the faces leave MTS and the ledger', async () => {
    const leaving = await createPerson({ libraryId, externalId: 'leaving' });
    const staying = await createPerson({ libraryId, externalId: 'staying' });
    const gone = [
      await registeredFace({ libraryId, personId: leaving.id, image: { url: await hostedFace('A') } }),
      await registeredFace({ libraryId, personId: leaving.id, image: { url: await hostedFace('A') } }),
    ];
    const kept = await registeredFace({ libraryId, personId: staying.id, image: { url: await hostedFace('B') } });

    expect(await deletePerson(leaving.id)).toEqual({
      __typename: 'DeletePersonSuccess',
      deletedId: leaving.id,
      deletedFaceCount: 2,
    });
    expect(mts.requests.at(-1)).toMatchObject({
      action: 'UnregisterCustomFace',
      params: { CategoryId: category, PersonId: 'leaving', FaceId: 'ALL' },
    });
    expect(mts.state.person(category, 'leaving')).toBeUndefined();
    expect(mts.state.faces(category, 'staying').map((f) => f.faceId)).toEqual([kept.vendorFaceId]);
    for (const face of gone) expect(await faceExists(face.id)).toBe(false);
    expect((await ledgerFaces(libraryId)).map((f) => f.id)).toEqual([kept.id]);
  });

  test('deletePerson of a person MTS never saw (no face, no tag) completes: MTS does not list it', async () => {
    const p = await createPerson({ libraryId, externalId: 'never-seen' });
    expect(mts.state.person(category, 'never-seen')).toBeUndefined();
    expect(await deletePerson(p.id)).toMatchObject({ __typename: 'DeletePersonSuccess', deletedFaceCount: 0 });
    expect(mts.requests.slice(-2).map((r) => r.action)).toEqual(['UnregisterCustomFace', 'ListCustomPersons']);
    expect(await person(p.id)).toBeNull();
  });

  test('deletePerson reports an MTS failure as a typed error and keeps the person and faces', async () => {
    const p = await createPerson({ libraryId, externalId: 'emp-9' });
    const face = await registeredFace({ libraryId, personId: p.id, image: { url: await hostedFace('A') } });
    mts.faults.next({
      kind: 'status',
      status: 503,
      body: {
        Code: 'ServiceUnavailable',
        Message: 'The request has failed due to a temporary failure of the server.',
      },
      operation: 'UnregisterCustomFace',
      times: 10,
    });
    try {
      expect(await deletePerson(p.id)).toMatchObject({
        __typename: 'VendorUnavailableError',
        code: 'VENDOR_UNAVAILABLE',
      });
    } finally {
      mts.faults.clear();
    }
    expect(await faceExists(face.id)).toBe(true);
    expect(mts.state.faces(category, 'emp-9')).toHaveLength(1);
    expect(await deletePerson(p.id)).toMatchObject({ __typename: 'DeletePersonSuccess', deletedFaceCount: 1 });
  });

  test('updateLibrary adds a field that registerFace accepts (MTS faces keep none: the ledger does)', async () => {
    expect(await updateLibrary({ id: libraryId, addFields: [{ name: 'site', type: 'STRING' }] })).toMatchObject({
      __typename: 'UpdateLibrarySuccess',
    });
    const p = await createPerson({ libraryId, externalId: 'emp-10' });
    const face = await registeredFace({
      libraryId,
      personId: p.id,
      image: { url: await hostedFace('B') },
      fields: { site: 'north', dept: 'ops' },
    });
    expect(face.fields).toEqual({ site: 'north', dept: 'ops' });
  });
});
