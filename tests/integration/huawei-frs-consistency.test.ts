import path from 'node:path';
import Database from 'better-sqlite3';
import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// The ledger and FRS stay in step when a write fails half-way or races another: a face FRS holds but the ledger
// write missed is recorded PENDING for syncLibrary to settle, and a native filter delete removes no face the
// gateway registered after reading the ledger, and says when FRS removed faces the ledger did not know.

const PROJECT = '0123456789abcdef0123456789abcdef';
const AK = 'EMULATORAK000000001';
const SK = 'emulator-secret-key-0001';

let emulator: FrsEmulator;
let server: TestServer;

beforeAll(async () => {
  const credentials = [{ accessKeyId: AK, secretAccessKey: SK }];
  emulator = await startFrsEmulator({ projectId: PROJECT, credentials, akLockout: false });
  server = await startTestServer({
    configure: (c) => {
      c.providers.push({
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'cn-north-4',
        projectId: PROJECT,
        endpoint: emulator.endpoint,
        iamEndpoint: emulator.iamEndpoint,
        credentials: { accessKeyId: AK, secretAccessKey: SK },
        timeoutMs: 1_000,
      } as never);
    },
  });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});
afterEach(() => emulator.faults.clear());

let photo: string;
beforeAll(async () => {
  photo = (await facePhoto('A', 'jpeg')).toString('base64');
});

const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);

async function createLibrary(name: string): Promise<string> {
  const created = await op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
      ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
    { i: { providerId: 'hw', name, fields: [{ name: 'dept', type: 'STRING' }] } },
  );
  return created.library.id;
}

const registerFace = async (libraryId: string, dept: string, variant = 0) => {
  const image = { base64: (await facePhoto('A', 'jpeg', variant)).toString('base64') };
  return op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
      ... on RegisterFaceSuccess { face { id vendorFaceId } } ${errorsOf('registerFace')} } }`,
    { i: { libraryId, image, fields: { dept } } },
  );
};

async function ledgerFaces(libraryId: string): Promise<{ vendorFaceId: string; status: string }[]> {
  const library = await op(
    `query($id: ID!) { library(id: $id) { faces(first: 100) { edges { node { vendorFaceId status } } } } }`,
    { id: libraryId },
  );
  return library.faces.edges.map((e: { node: { vendorFaceId: string; status: string } }) => e.node);
}

const syncLibrary = (id: string) =>
  op(
    `mutation($id: ID!) { syncLibrary(id: $id) { __typename ... on SyncLibrarySuccess { imported missingAtVendor }
      ${errorsOf('syncLibrary')} } }`,
    { id },
  );

const REGISTER_TYPENAME = 'mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }';

/** Runs `work` while the SQLite ledger refuses to record ACTIVE faces of the library (a real failed write). */
async function withActiveFaceInsertsRefused<T>(libraryName: string, work: () => Promise<T>): Promise<T> {
  const db = new Database(path.join(server.dataDir, 'facegraph.db'));
  db.exec(`CREATE TRIGGER refuse_active_faces BEFORE INSERT ON faces
           WHEN NEW.status = 'ACTIVE'
             AND NEW.library_row_id = (SELECT row_id FROM libraries WHERE name = '${libraryName}')
           BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
  try {
    return await work();
  } finally {
    db.exec('DROP TRIGGER refuse_active_faces');
    db.close();
  }
}

describe('a face FRS holds whose ledger write failed', () => {
  test('is recorded PENDING when FRS will not take it back either, and syncLibrary makes it ACTIVE', async () => {
    const libraryId = await createLibrary('pending-kept');
    emulator.faults.next({ kind: 'status', status: 500, operation: 'deleteFaces', times: 10 });
    const response = await withActiveFaceInsertsRefused('pending-kept', () =>
      gql(server.url, REGISTER_TYPENAME, {
        i: { libraryId, image: { base64: photo }, fields: { dept: 'ops' } },
      }),
    );
    expect(response.errors).toHaveLength(1);
    emulator.faults.clear();

    const atVendor = emulator.state.faces('pending-kept').map((f) => f.face_id);
    expect(atVendor).toHaveLength(1);
    expect(await ledgerFaces(libraryId)).toEqual([{ vendorFaceId: atVendor[0], status: 'PENDING' }]);

    expect(await syncLibrary(libraryId)).toEqual({ __typename: 'SyncLibrarySuccess', imported: 0, missingAtVendor: 0 });
    expect(await ledgerFaces(libraryId)).toEqual([{ vendorFaceId: atVendor[0], status: 'ACTIVE' }]);
  });

  test('is recorded PENDING, and dropped by syncLibrary once FRS no longer has it', async () => {
    const libraryId = await createLibrary('pending-gone');
    emulator.faults.next({ kind: 'status', status: 500, operation: 'deleteFaces', times: 10 });
    await withActiveFaceInsertsRefused('pending-gone', () =>
      gql(server.url, REGISTER_TYPENAME, {
        i: { libraryId, image: { base64: photo }, fields: { dept: 'ops' } },
      }),
    );
    emulator.faults.clear();
    expect((await ledgerFaces(libraryId)).map((f) => f.status)).toEqual(['PENDING']);

    // FRS loses it (removed there by someone else): nothing was acknowledged, so the ledger drops it.
    emulator.state.getFaceSet('pending-gone')!.faces.length = 0;
    expect(await syncLibrary(libraryId)).toEqual({ __typename: 'SyncLibrarySuccess', imported: 0, missingAtVendor: 0 });
    expect(await ledgerFaces(libraryId)).toEqual([]);
  });
});

describe('a native filter delete on FRS', () => {
  const deleteByDept = (libraryId: string, dept: string) =>
    op(
      `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f) { __typename
        ... on DeleteFacesSuccess { deletedCount deletedFaceIds vendorDeletedCount plan { strategy } }
        ${errorsOf('deleteFaces')} } }`,
      { l: libraryId, f: { fields: { dept } } },
    );

  test('removes no face registered through the gateway after the ledger was read', async () => {
    const libraryId = await createLibrary('racing');
    const first = await registerFace(libraryId, 'sales');
    // FRS receives the batch delete, then waits before acting: a registration runs meanwhile.
    emulator.faults.next({ kind: 'delay', ms: 400, operation: 'batchDeleteFaces' });
    const deleting = deleteByDept(libraryId, 'sales');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await registerFace(libraryId, 'sales', 1);
    const deleted = await deleting;

    expect(second.__typename).toBe('RegisterFaceSuccess');
    expect(deleted).toMatchObject({ deletedFaceIds: [first.face.id], plan: { strategy: 'NATIVE' } });
    // Acknowledged, so kept: in the ledger and at FRS.
    expect(emulator.state.faces('racing').map((f) => f.face_id)).toEqual([second.face.vendorFaceId]);
    expect(await ledgerFaces(libraryId)).toEqual([{ vendorFaceId: second.face.vendorFaceId, status: 'ACTIVE' }]);
  });

  test('says how many faces FRS removed when it removed faces the ledger did not know', async () => {
    const libraryId = await createLibrary('outsiders');
    const known = await registerFace(libraryId, 'sales');
    emulator.faults.next({ kind: 'delay', ms: 300, operation: 'batchDeleteFaces' });
    const deleting = deleteByDept(libraryId, 'sales');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Another FRS client adds two matching faces while the delete is on its way.
    emulator.state.seedFaces('outsiders', 2, { dept: 'sales' });

    expect(await deleting).toEqual({
      __typename: 'DeleteFacesSuccess',
      deletedCount: 1,
      deletedFaceIds: [known.face.id],
      vendorDeletedCount: 3,
      plan: { strategy: 'NATIVE' },
    });
    expect(emulator.state.faces('outsiders')).toEqual([]);
  });
});
