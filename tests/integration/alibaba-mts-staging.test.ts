import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { startOssEmulator, type OssEmulator } from '../emulators/alibaba-oss';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer, type TestServer } from '../support/test-server';

// Base64 images on ALIBABA_MTS through GraphQL: the real server stages them in the OSS emulator, and the MTS
// emulator really downloads them through the presigned URL before registering the face.

const MTS = { accessKeyId: 'LTAIemulator0000001', accessKeySecret: 'emulator-access-key-secret-0001' };
const OSS = { accessKeyId: 'LTAIossStaging000001', accessKeySecret: 'oss-staging-secret-never-logged-0001' };
const BUCKET = 'facegraph-staging';
const PREFIX = 'facegraph-staging/';

let oss: OssEmulator;
let mts: MtsEmulator;
let server: TestServer;
const logLines: string[] = [];

interface StagingOverrides {
  bucket?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  urlExpiresSeconds?: number;
}

async function startServerWith(staging: StagingOverrides | null, logTo?: Writable) {
  return startTestServer({
    logTo: logTo as never,
    configure: (c) => {
      c.providers.push({
        id: 'ali',
        kind: 'ALIBABA_MTS',
        region: 'cn-shanghai',
        endpoint: mts.endpoint,
        credentials: MTS,
        timeoutMs: 1_000,
        ...(staging
          ? {
              imageStaging: {
                endpoint: oss.endpoint,
                bucket: BUCKET,
                ...OSS,
                prefix: PREFIX,
                urlExpiresSeconds: 300,
                addressing: 'path',
                ...staging,
              },
            }
          : {}),
      } as never);
    },
  });
}

const op = (query: string, variables: Record<string, unknown> = {}, s = server) => resultOf(s.url, query, variables);

async function libraryAndPerson(name: string, s = server) {
  const library = await op(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { ` +
      `... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
    { i: { providerId: 'ali', name } },
    s,
  );
  const person = await op(
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) { ` +
      `... on CreatePersonSuccess { person { id } } ${errorsOf('createPerson')} } }`,
    { i: { libraryId: library.library.id, externalId: 'p1' } },
    s,
  );
  return { libraryId: library.library.id as string, personId: person.person.id as string };
}

const registerBase64 = (libraryId: string, personId: string, bytes: Buffer, s = server) =>
  op(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ` +
      `... on RegisterFaceSuccess { face { id vendorFaceId imageSha256 } } ${errorsOf('registerFace')} } }`,
    {
      i: { libraryId, personId, image: { base64: bytes.toString('base64') } },
    },
    s,
  );

const faceCount = async (libraryId: string, s = server) =>
  (await op(`query($id: ID!) { library(id: $id) { faceCount } }`, { id: libraryId }, s)).faceCount as number;
const ossCalls = (from: number) => oss.requests.slice(from).map((r) => `${r.operation} ${r.auth} ${r.status}`);

let variant = 0;
const photo = () => facePhoto('A', 'jpeg', ++variant % 10);

beforeAll(async () => {
  oss = await startOssEmulator({ credentials: [OSS], buckets: [BUCKET] });
  mts = await startMtsEmulator({ credentials: [MTS], fetchableOrigins: [oss.endpoint] });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  server = await startServerWith({}, sink);
});
afterAll(async () => {
  await server?.close();
  await mts?.close();
  await oss?.close();
});
afterEach(() => {
  oss.faults.clear();
  mts.faults.clear();
});

describe('base64 images on ALIBABA_MTS with imageStaging', () => {
  test('the provider reports base64 input only when a staging bucket is configured', async () => {
    const capabilities = async (s: TestServer) =>
      (await op(`{ providers { id capabilities { imageUrl imageBase64 } } }`, {}, s)).find(
        (p: { id: string }) => p.id === 'ali',
      ).capabilities;
    expect(await capabilities(server)).toEqual({ imageUrl: true, imageBase64: true });
    const plain = await startServerWith(null);
    try {
      expect(await capabilities(plain)).toEqual({ imageUrl: true, imageBase64: false });
    } finally {
      await plain.close();
    }
  });

  test(
    'registerFace stages the image, ' + 'MTS downloads it through a presigned URL, and the object is deleted',
    async () => {
      const { libraryId, personId } = await libraryAndPerson('staged');
      const bytes = await photo();
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const ossBefore = oss.requests.length;

      const result = await registerBase64(libraryId, personId, bytes);

      expect(result).toMatchObject({ __typename: 'RegisterFaceSuccess', face: { imageSha256: sha256 } });
      expect(await faceCount(libraryId)).toBe(1);
      const [face] = mts.state.faces('staged', 'p1');
      expect(face?.faceId).toBe(result.face.vendorFaceId);
      // what MTS was given: the OSS object under a key of its own (digest + random suffix), signed for a short while
      const imageUrl = new URL(face!.imageUrl);
      expect(imageUrl.origin).toBe(oss.endpoint);
      expect(imageUrl.pathname).toMatch(new RegExp(`^/${BUCKET}/${PREFIX}${sha256}-[0-9a-f]{12}\\.jpg$`));
      expect([...imageUrl.searchParams.keys()]).toEqual(['OSSAccessKeyId', 'Expires', 'Signature']);
      expect(imageUrl.searchParams.get('OSSAccessKeyId')).toBe(OSS.accessKeyId);
      const lifetime = Number(imageUrl.searchParams.get('Expires')) - Date.now() / 1000;
      expect(lifetime).toBeGreaterThan(290);
      expect(lifetime).toBeLessThanOrEqual(300);
      expect(mts.requests.filter((r) => r.action === 'RegisterCustomFace').at(-1)?.params['ImageUrl']).toBe(
        face!.imageUrl,
      );
      // the PUT carried the image and its type; MTS fetched it with the URL; then it was deleted
      expect(ossCalls(ossBefore)).toEqual(['PutObject header 200', 'GetObject query 200', 'DeleteObject header 204']);
      expect(mts.downloads.at(-1)).toMatchObject({ url: face!.imageUrl, status: 200, bytes: bytes.length });
      expect(oss.state.keys(BUCKET)).toEqual([]);
    },
  );

  test('an OSS 503 on the PUT is retried and the registration succeeds', async () => {
    const { libraryId, personId } = await libraryAndPerson('retried');
    oss.faults.next({ kind: 'status', status: 503, operation: 'PutObject' });
    const ossBefore = oss.requests.length;
    expect((await registerBase64(libraryId, personId, await photo())).__typename).toBe('RegisterFaceSuccess');
    expect(ossCalls(ossBefore)).toEqual([
      'PutObject header 503',
      'PutObject header 200',
      'GetObject query 200',
      'DeleteObject header 204',
    ]);
    expect(await faceCount(libraryId)).toBe(1);
  });

  test(
    'an expired URL ends as ImageRejectedError from MTS, ' + 'with nothing registered and nothing left in the bucket',
    async () => {
      const { libraryId, personId } = await libraryAndPerson('expired');
      // OSS's clock runs 6 minutes ahead: the PUT is within its 15-minute skew, the 300 s URL is already past
      oss.clock.advance(360_000);
      try {
        const result = await registerBase64(libraryId, personId, await photo());
        expect(result).toMatchObject({
          __typename: 'ImageRejectedError',
          reason: 'UNREACHABLE',
          vendor: { code: 'InvalidParameter', httpStatus: 400 },
        });
        expect(result.message).not.toMatch(/Signature|OSSAccessKeyId|https?:/);
      } finally {
        oss.clock.advance(-360_000);
      }
      expect(mts.downloads.at(-1)?.status).toBe(403);
      expect(oss.requests.filter((r) => r.operation === 'GetObject').at(-1)).toMatchObject({
        auth: 'query',
        code: 'AccessDenied',
        authFailure: 'expired',
      });
      expect(await faceCount(libraryId)).toBe(0);
      expect(mts.state.faces('expired', 'p1')).toEqual([]);
      expect(oss.state.keys(BUCKET)).toEqual([]);
    },
  );

  test('an ambiguous RegisterCustomFace keeps the staged object: MTS may still be downloading it', async () => {
    const { libraryId, personId } = await libraryAndPerson('ambiguous');
    mts.faults.next({ kind: 'delay', ms: 1_500, applyThenDelay: true, operation: 'RegisterCustomFace' });
    const bytes = await photo();
    expect((await registerBase64(libraryId, personId, bytes)).__typename).toBe('RegisterFaceSuccess');
    expect(mts.state.faces('ambiguous', 'p1')).toHaveLength(1);
    const keys = oss.state.keys(BUCKET);
    expect(keys).toEqual([
      expect.stringMatching(
        new RegExp(`^${PREFIX}${createHash('sha256').update(bytes).digest('hex')}-[0-9a-f]{12}\\.jpg$`),
      ),
    ]);
    oss.state.delete(BUCKET, keys[0] as string);
  });

  test('a failed delete is logged without secrets and is no error to the client', async () => {
    const { libraryId, personId } = await libraryAndPerson('undeleted');
    oss.faults.next({ kind: 'status', status: 500, operation: 'DeleteObject', times: 3 });
    const bytes = await photo();
    expect((await registerBase64(libraryId, personId, bytes)).__typename).toBe('RegisterFaceSuccess');
    const key = oss.state.keys(BUCKET)[0] as string;
    expect(key).toMatch(/^facegraph-staging\/[0-9a-f]{64}-[0-9a-f]{12}\.jpg$/);
    oss.state.delete(BUCKET, key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const warning = logLines.find((line) => line.includes('staged image could not be deleted'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({
      operation: 'oss.DeleteObject',
      code: 'InternalError',
      httpStatus: 500,
    });
  });

  test('no log line carries a secret, a signature, a presigned URL or image bytes', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const all = logLines.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [OSS.accessKeySecret, MTS.accessKeySecret, 'Signature=', 'OSSAccessKeyId=', '/9j/'])
      expect(all).not.toContain(secret);
  });
});

describe('staging failures are typed errors', () => {
  const withServer = async (staging: StagingOverrides, run: (s: TestServer) => Promise<void>) => {
    const s = await startServerWith(staging);
    try {
      await run(s);
    } finally {
      await s.close();
    }
  };

  test('a wrong OSS secret is VendorAuthError with the OSS code and request id; MTS is never called', async () => {
    await withServer({ accessKeySecret: 'wrong-oss-secret' }, async (s) => {
      const { libraryId, personId } = await libraryAndPerson('wrongsecret', s);
      const mtsBefore = mts.requests.length;
      const result = await registerBase64(libraryId, personId, await photo(), s);
      const put = oss.requests.at(-1)!;
      expect(put).toMatchObject({ operation: 'PutObject', code: 'SignatureDoesNotMatch' });
      expect(result).toMatchObject({
        __typename: 'VendorAuthError',
        vendor: { providerId: 'ali', code: 'SignatureDoesNotMatch', httpStatus: 403, requestId: put.requestId },
      });
      expect(JSON.stringify(result)).not.toMatch(/wrong-oss-secret|StringToSign|PUT\\n/);
      expect(mts.requests.slice(mtsBefore).map((r) => r.action)).not.toContain('RegisterCustomFace');
      expect(await faceCount(libraryId, s)).toBe(0);
    });
  });

  test('an unknown OSS AccessKey is VendorAuthError InvalidAccessKeyId', async () => {
    await withServer({ accessKeyId: 'LTAIunknownStaging01' }, async (s) => {
      const { libraryId, personId } = await libraryAndPerson('wrongak', s);
      const result = await registerBase64(libraryId, personId, await photo(), s);
      expect(result).toMatchObject({
        __typename: 'VendorAuthError',
        vendor: { code: 'InvalidAccessKeyId', httpStatus: 403 },
      });
      expect(result.vendor.requestId).toMatch(/^[0-9A-F]{24}$/);
    });
  });

  test('a bucket that does not exist is a configuration error naming the settings to check', async () => {
    await withServer({ bucket: 'no-such-staging-bucket' }, async (s) => {
      const { libraryId, personId } = await libraryAndPerson('nobucket', s);
      const result = await registerBase64(libraryId, personId, await photo(), s);
      expect(result).toMatchObject({
        __typename: 'VendorUnavailableError',
        retryable: false,
        vendor: { code: 'NoSuchBucket', httpStatus: 404 },
      });
      expect(result.message).toMatch(/imageStaging\.bucket/);
    });
  });

  test(
    'without imageStaging a base64 image is still InvalidInputError IMAGE_URL_REQUIRED, ' + 'and nothing is staged',
    async () => {
      const plain = await startServerWith(null);
      try {
        const { libraryId, personId } = await libraryAndPerson('plain', plain);
        const before = oss.requests.length;
        const result = await registerBase64(libraryId, personId, await photo(), plain);
        expect(result).toMatchObject({
          __typename: 'InvalidInputError',
          field: 'input.image.base64',
          constraint: 'IMAGE_URL_REQUIRED',
        });
        expect((result as { message: string }).message).toMatch(
          /give image\.url.*configure imageStaging \(an OSS bucket\)/,
        );
        expect(oss.requests.length).toBe(before);
      } finally {
        await plain.close();
      }
    },
  );
});
