import { faceId } from '../../src/domain/global-id';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { startAzureFaceEmulator, type AzureFaceEmulator } from '../emulators/azure-face';
import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';
import { errorsOf, resultOf } from '../support/graphql-results';
import { startTestServer, type TestServer } from '../support/test-server';

// What a provider's capabilities say about deleting faces is what the plan of a delete says, on every provider:
// by ids (capabilities.deleteFaces) and by a filter (capabilities.deleteFacesByFilter).

const FRS = {
  projectId: '0123456789abcdef0123456789abcdef',
  accessKeyId: 'EMULATORAK000000001',
  secretAccessKey: 'sk-0001',
};
const AZURE_KEY = 'emulator-subscription-key-0001';
const MTS = { accessKeyId: 'mts-ak-0001', accessKeySecret: 'mts-secret-0001' };

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
  azure = await startAzureFaceEmulator({ subscriptionKeys: [AZURE_KEY] });
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
        } as never,
        {
          id: 'az',
          kind: 'AZURE_FACE',
          endpoint: azure.endpoint,
          credentials: { subscriptionKey: AZURE_KEY },
        } as never,
        { id: 'ali', kind: 'ALIBABA_MTS', region: 'cn-shanghai', endpoint: mts.endpoint, credentials: MTS } as never,
      );
    },
  });
});
afterAll(async () => {
  await server?.close();
  await Promise.all([frs?.close(), azure?.close(), mts?.close()]);
});

const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);

const plan = (libraryId: string, filter: Record<string, unknown>) =>
  op(
    `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f, dryRun: true) { __typename
      ... on DeleteFacesSuccess { plan { strategy } } ${errorsOf('deleteFaces')} } }`,
    { l: libraryId, f: filter },
  );

test.each(['local', 'hw', 'az', 'ali'])(
  'on provider %s, the dry-run plan says what the capabilities say',
  async (providerId) => {
    const { capabilities } = await op(
      `query($id: ID!) { provider(id: $id) { capabilities { deleteFaces deleteFacesByFilter } } }`,
      {
        id: providerId,
      },
    );
    const created = await op(
      `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
      ... on CreateLibrarySuccess { library { id name } } ${errorsOf('createLibrary')} } }`,
      { i: { providerId, name: `plans-${providerId}`, fields: [{ name: 'dept', type: 'STRING' }] } },
    );
    expect(created.__typename).toBe('CreateLibrarySuccess');
    const { id: libraryId, name } = created.library;

    const byIds = await plan(libraryId, { faceIds: [faceId(providerId, name, 'someface')] });
    expect(byIds).toEqual({ __typename: 'DeleteFacesSuccess', plan: { strategy: capabilities.deleteFaces } });
    const byFields = await plan(libraryId, { fields: { dept: 'sales' } });
    expect(byFields).toEqual({
      __typename: 'DeleteFacesSuccess',
      plan: { strategy: capabilities.deleteFacesByFilter },
    });
    const byExternalImageId = await plan(libraryId, { externalImageId: 'photo-1' });
    expect(byExternalImageId).toEqual({
      __typename: 'DeleteFacesSuccess',
      plan: { strategy: capabilities.deleteFacesByFilter },
    });
  },
);
