import sharp from 'sharp';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { startOssEmulator, type OssEmulator } from '../emulators/alibaba-oss';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer, type TestServer } from '../support/test-server';

// Face.imageUrl on ALIBABA_MTS: a base64 image (staged in OSS for MTS) passed through the gateway, which keeps its
// thumbnail; an image URL goes to MTS as it is, so the gateway never sees the bytes and imageUrl is null.

const MTS = { accessKeyId: 'LTAIemulator0000001', accessKeySecret: 'emulator-access-key-secret-0001' };
const OSS = { accessKeyId: 'LTAIossStaging000001', accessKeySecret: 'oss-staging-secret-never-logged-0001' };
const BUCKET = 'facegraph-staging';

let oss: OssEmulator;
let mts: MtsEmulator;
let server: TestServer;

beforeAll(async () => {
  oss = await startOssEmulator({ credentials: [OSS], buckets: [BUCKET] });
  mts = await startMtsEmulator({ credentials: [MTS], fetchableOrigins: [oss.endpoint] });
  server = await startTestServer({
    configure: (c) => {
      c.providers = [
        {
          id: 'ali',
          kind: 'ALIBABA_MTS',
          region: 'cn-shanghai',
          endpoint: mts.endpoint,
          credentials: MTS,
          timeoutMs: 1_000,
          imageStaging: {
            endpoint: oss.endpoint,
            bucket: BUCKET,
            ...OSS,
            prefix: 'facegraph-staging/',
            urlExpiresSeconds: 300,
            addressing: 'path',
          },
        },
      ];
    },
  });
});
afterAll(async () => {
  await server?.close();
  await mts?.close();
  await oss?.close();
});

const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);

test('a base64 face keeps a thumbnail to link to; a URL face, never seen by the gateway, has none', async () => {
  const library = await op(
    `mutation { createLibrary(input: { providerId: "ali", name: "kept-mts" }) {
      ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
  );
  const libraryId = library.library.id;
  const person = await op(
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) {
      ... on CreatePersonSuccess { person { id } } ${errorsOf('createPerson')} } }`,
    { i: { libraryId, externalId: 'p1' } },
  );
  const register = (image: Record<string, string>) =>
    op(
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
        ... on RegisterFaceSuccess { face { imageUrl(maxSide: 1024, crop: FACE) boundingBox { x } } }
        ${errorsOf('registerFace')} } }`,
      { i: { libraryId, personId: person.person.id, image } },
    );

  const photo = await facePhoto('A');
  const byBytes = await register({ base64: photo.toString('base64') });
  expect(byBytes.__typename).toBe('RegisterFaceSuccess');
  // MTS gives no box: crop FACE shows the kept 256 px thumbnail whole.
  expect(byBytes.face.boundingBox).toBeNull();
  const res = await fetch(byBytes.face.imageUrl);
  expect(res.status).toBe(200);
  const { format, width, height } = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  const original = await sharp(photo).metadata();
  expect(format).toBe('jpeg');
  expect(Math.max(width!, height!)).toBe(256);
  expect(width! / height!).toBeCloseTo(original.width! / original.height!, 1);

  const url = 'https://faces-bucket.oss-cn-shanghai.aliyuncs.com/faces/kept-b.jpg';
  mts.images.set(url, await facePhoto('B'));
  const byUrl = await register({ url });
  expect(byUrl.__typename).toBe('RegisterFaceSuccess');
  expect(byUrl.face.imageUrl).toBeNull();
});
