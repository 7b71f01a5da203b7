import { RegisterFaceDocument } from '../generated/graphql';
import { FACE_A, singleFacePhoto } from '../support/face-photos';
import { peakRssGrowth, twentyHostileImages, type HostileImage } from '../support/hostile-images';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

// Twenty hostile images at once, over real HTTP, to registerFace and searchFaces on LOCAL: each is answered with
// a typed error (or, for an image that is only big, bounded by the engine's queue), and the server keeps working.

const RESULT_FIELDS = `__typename
  ... on Error { code message }
  ... on ImageRejectedError { reason }
  ... on RateLimitedError { retryAfterSeconds }`;
const REGISTER = `mutation($input: RegisterFaceInput!) { registerFace(input: $input) { ${RESULT_FIELDS} } }`;
const SEARCH = `query($libraryId: ID!, $image: ImageInput!) {
  searchFaces(libraryId: $libraryId, image: $image) { ${RESULT_FIELDS} }
}`;

interface Outcome {
  __typename: string;
  code: string;
  message: string;
  reason?: string;
  retryAfterSeconds?: number;
}

/** What each kind of hostile image must get (a busy answer is allowed for any of them, see below). */
const EXPECTED: Record<string, string> = {
  'png 1-bit': 'NO_FACE',
  png: 'NO_FACE',
  'png interlaced': 'TOO_LARGE',
  jpeg: 'NO_FACE',
  'jpeg progressive 4:4:4': 'TOO_LARGE',
  'jpeg truncated to 4 KB': 'UNSUPPORTED_FORMAT',
  'jpeg truncated to half': 'UNSUPPORTED_FORMAT',
  gif: 'TOO_LARGE',
  'webp lossless': 'NO_FACE',
  'tiff deflate': 'NO_FACE',
  'tiff 16-bit RGBA strip bomb': 'TOO_LARGE',
  'tiff declaring 1000000 x 1000000': 'TOO_LARGE',
};
const REFUSED_FROM_HEADERS = new Set(['TOO_LARGE']);

let server: TestServer;
let libraryId: string;
let hostile: HostileImage[];

beforeAll(async () => {
  server = await startTestServer();
  const created = await gql(
    server.url,
    `mutation { createLibrary(input: { providerId: "local", name: "hostile" }) {
      ... on CreateLibrarySuccess { library { id } }
    } }`,
  );
  libraryId = created.data.createLibrary.library.id;
  hostile = await twentyHostileImages();
}, 120_000);
afterAll(async () => server?.close());

async function send(image: HostileImage, i: number): Promise<Outcome> {
  const base64 = image.bytes.toString('base64');
  const response =
    i % 2 === 0
      ? await gql(server.url, REGISTER, { input: { libraryId, image: { base64 } } })
      : await gql(server.url, SEARCH, { libraryId, image: { base64 } });
  expect(response.errors).toBeUndefined();
  return (response.data.registerFace ?? response.data.searchFaces) as Outcome;
}

test('twenty hostile images at once are each refused with a typed error, and the server still answers', async () => {
  const face = await singleFacePhoto(FACE_A);
  const registerFace = () =>
    execute(server.url, RegisterFaceDocument, { input: { libraryId, image: { base64: face.toString('base64') } } });
  await Promise.all([registerFace(), registerFace()]); // both engine workers warm

  const { result, bytes: peak } = await peakRssGrowth(() => Promise.all(hostile.map(send)));
  if (result instanceof Error) throw result;
  const outcomes = result;
  // The server runs in this process. The target is 300 MB (measured by the bench case "hostile images": peak
  // +160-300 MB); here +215-241 MB was seen, so 600 MB leaves room for a shared machine and still fails the
  // whole decodes this replaced (+1.8 GB).
  expect(peak).toBeLessThan(600 * 1024 * 1024);

  outcomes.forEach((outcome, i) => {
    const { name, bytes } = hostile[i]!;
    const expected = EXPECTED[name];
    const what = `${name}: ${JSON.stringify(outcome)}`;
    // The message says what is wrong and never carries the image.
    expect(outcome.message.length).toBeLessThan(600);
    expect(outcome.message).not.toContain(bytes.toString('base64').slice(0, 24));
    if (outcome.__typename === 'RateLimitedError' && !REFUSED_FROM_HEADERS.has(expected!)) {
      expect(outcome.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      return;
    }
    expect({ what, typename: outcome.__typename, reason: outcome.reason }).toEqual({
      what,
      typename: 'ImageRejectedError',
      reason: expected,
    });
  });

  // Still answering, and still registering faces.
  const providers = await gql(server.url, '{ providers { id } }');
  expect(providers.data.providers).toEqual([{ id: 'local' }]);
  expect((await registerFace()).registerFace.__typename).toBe('RegisterFaceSuccess');
}, 180_000);
