import sharp from 'sharp';
import { signImageUrl } from '../../src/domain/image-url-signature';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// Face.imageUrl on the LOCAL provider over real HTTP, on both ledgers: signed links to thumbnails of the stored image,
// in the size, crop and format asked, cached by ETag, refused when tampered with or expired, gone with the face.

const SIGNING_KEY = 'test-image-url-signing-key-0123456789';
const TTL_SECONDS = 120;
const PUBLIC_URL = 'https://faces.example.test/facegraph';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

describe.each([
  { ledger: 'sqlite' as const, publicUrl: undefined },
  { ledger: 'postgres' as const, publicUrl: PUBLIC_URL },
])('LOCAL face images on the $ledger ledger (publicUrl: $publicUrl)', ({ ledger, publicUrl }) => {
  let server: TestServer;
  let photo: Buffer;
  let photoSize: { width: number; height: number };
  let libraryId: string;
  let face: { id: string; boundingBox: Box };

  const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);
  const imageUrl = async (faceId: string, args: string) =>
    (await op(`query($id: ID!) { face(id: $id) { imageUrl${args} } }`, { id: faceId })).imageUrl as string | null;
  /** The link as a client behind the router would follow it: publicUrl's path lands on this server's root. */
  const reachable = (url: string) => (publicUrl ? url.replace(PUBLIC_URL, server.origin) : url);
  const get = (url: string, headers: Record<string, string> = {}) => fetch(reachable(url), { headers });

  beforeAll(async () => {
    server = await startTestServer({
      ledger,
      configure: (c) => {
        c.images.urlSigningKey = SIGNING_KEY;
        c.images.urlTtlSeconds = TTL_SECONDS;
        if (publicUrl) c.server.publicUrl = publicUrl;
      },
    });
    photo = await facePhoto('A');
    const { width, height } = await sharp(photo).metadata();
    photoSize = { width: width!, height: height! };
    libraryId = (
      await op(
        `mutation { createLibrary(input: { providerId: "local", name: "thumbs" }) {
          ... on CreateLibrarySuccess { library { id } } } }`,
      )
    ).library.id;
    const registered = await op(
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
        ... on RegisterFaceSuccess { face { id boundingBox { x y width height } } } ${errorsOf('registerFace')} } }`,
      { i: { libraryId, image: { base64: photo.toString('base64') } } },
    );
    expect(registered.__typename).toBe('RegisterFaceSuccess');
    face = registered.face;
  });
  afterAll(async () => server?.close());

  const originName = publicUrl ? 'server.publicUrl' : "the request's own origin";
  test(`links are on ${originName}, signed, and expire after the ttl`, async () => {
    const url = new URL((await imageUrl(face.id, ''))!);
    const origin = publicUrl ?? server.origin;
    expect(url.toString().startsWith(`${origin}/images/faces/${face.id}?`)).toBe(true);
    expect(url.searchParams.get('maxSide')).toBe('256');
    expect(url.searchParams.get('crop')).toBe('NONE');
    const secondsLeft = Number(url.searchParams.get('expires')) - Date.now() / 1000;
    expect(secondsLeft).toBeGreaterThan(TTL_SECONDS - 5);
    expect(secondsLeft).toBeLessThanOrEqual(TTL_SECONDS * 1.1 + 1);
  });

  test('a JPEG whose longer side is maxSide, never enlarged past the image', async () => {
    const small = await get((await imageUrl(face.id, '(maxSide: 64)'))!);
    expect(small.status).toBe(200);
    expect(small.headers.get('content-type')).toBe('image/jpeg');
    const smallMeta = await sharp(Buffer.from(await small.arrayBuffer())).metadata();
    expect(smallMeta.format).toBe('jpeg');
    expect(Math.max(smallMeta.width!, smallMeta.height!)).toBe(64);
    expect(smallMeta.width! / smallMeta.height!).toBeCloseTo(photoSize.width / photoSize.height, 1);

    const large = await get((await imageUrl(face.id, '(maxSide: 1024)'))!);
    const largeMeta = await sharp(Buffer.from(await large.arrayBuffer())).metadata();
    expect({ width: largeMeta.width, height: largeMeta.height }).toEqual(photoSize);
  });

  test('WebP when the Accept header prefers it, JPEG for */*; the answer varies by Accept', async () => {
    const url = (await imageUrl(face.id, '(maxSide: 100)'))!;
    const webp = await get(url, { accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' });
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect(webp.headers.get('vary')).toMatch(/accept/i);
    const webpMeta = await sharp(Buffer.from(await webp.arrayBuffer())).metadata();
    expect(webpMeta.format).toBe('webp');
    expect(Math.max(webpMeta.width!, webpMeta.height!)).toBe(100);
    const any = await get(url, { accept: '*/*' });
    expect(any.headers.get('content-type')).toBe('image/jpeg');
    expect(webp.headers.get('etag')).not.toBe(any.headers.get('etag'));
  });

  test('crop FACE is the bounding box with a quarter of its size added on each side, within the image', async () => {
    const whole = await get((await imageUrl(face.id, '(maxSide: 1024)'))!);
    const cropped = await get((await imageUrl(face.id, '(maxSide: 1024, crop: FACE)'))!);
    const croppedBytes = Buffer.from(await cropped.arrayBuffer());
    const meta = await sharp(croppedBytes).metadata();
    const { x, y, width, height } = face.boundingBox;
    const left = Math.max(0, Math.floor(x - width / 4));
    const top = Math.max(0, Math.floor(y - height / 4));
    const right = Math.min(photoSize.width, Math.ceil(x + width * 1.25));
    const bottom = Math.min(photoSize.height, Math.ceil(y + height * 1.25));
    expect({ width: meta.width, height: meta.height }).toEqual({ width: right - left, height: bottom - top });
    expect(croppedBytes.length).toBeLessThan(Buffer.from(await whole.arrayBuffer()).length);
    // The pixels are the photo's at that place: compared at 16 x 16, the mean difference is JPEG noise only.
    const tiny = (input: sharp.Sharp) => input.resize(16, 16, { fit: 'fill' }).raw().toBuffer();
    const expected = await tiny(sharp(photo).extract({ left, top, width: right - left, height: bottom - top }));
    const actual = await tiny(sharp(croppedBytes));
    const meanDifference = expected.reduce((sum, v, i) => sum + Math.abs(v - actual[i]!), 0) / expected.length;
    expect(meanDifference).toBeLessThan(6);
  });

  test('an ETag the next request can send back for a 304; cached privately until the link expires', async () => {
    const url = (await imageUrl(face.id, '(maxSide: 48)'))!;
    const first = await get(url);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(first.headers.get('cache-control') ?? '')?.[1]);
    const expires = Number(new URL(url).searchParams.get('expires'));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(expires - Math.floor(Date.now() / 1000) + 1);

    const again = await get(url, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    expect(again.headers.get('etag')).toBe(etag);
    const otherSize = await get((await imageUrl(face.id, '(maxSide: 49)'))!, { 'if-none-match': etag! });
    expect(otherSize.status).toBe(200);
  });

  test('a link with any signed part changed, or another signature, is refused 403 without echoing it', async () => {
    const url = new URL(reachable((await imageUrl(face.id, '(maxSide: 64)'))!));
    const signature = url.searchParams.get('signature')!;
    const changed = (name: string, value: string) => {
      const copy = new URL(url);
      copy.searchParams.set(name, value);
      return copy.toString();
    };
    const variants = [
      changed('maxSide', '1024'),
      changed('crop', 'FACE'),
      changed('expires', String(Number(url.searchParams.get('expires')) + 3600)),
      changed('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)),
      changed('maxSide', 'big'),
      url.toString().replace(`/images/faces/${face.id}`, `/images/faces/${face.id.slice(0, -2)}AA`),
    ];
    for (const variant of variants) {
      const res = await fetch(variant);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await res.text();
      expect(JSON.parse(text).errors[0].extensions.code).toBe('IMAGE_LINK_INVALID');
      expect(text).not.toContain(signature);
    }
  });

  test('an expired link is refused 403 with its own code', async () => {
    const claims = { faceId: face.id, maxSide: 64, crop: 'NONE' as const, expires: Math.floor(Date.now() / 1000) - 1 };
    const signature = signImageUrl(Buffer.from(SIGNING_KEY), claims);
    const query = new URLSearchParams({ maxSide: '64', crop: 'NONE', expires: String(claims.expires), signature });
    const res = await fetch(`${server.origin}/images/faces/${face.id}?${query}`);
    expect(res.status).toBe(403);
    expect((await res.json()).errors[0]).toEqual({
      message: 'This image link has expired: ask for a new Face.imageUrl.',
      extensions: { code: 'IMAGE_LINK_EXPIRED' },
    });
  });

  test('the Host check applies to image links', async () => {
    const url = reachable((await imageUrl(face.id, '(maxSide: 64)'))!);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  test(
    'a query with imageUrl is never answered from the ' + 'read cache (its links would outlive their expiry)',
    async () => {
      const ask = () =>
        fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `{ face(id: "${face.id}") { imageUrl(maxSide: 20) } }` }),
        });
      await ask();
      const again = await ask();
      expect(again.status).toBe(200);
      expect(again.headers.get('x-facegraph-cache')).not.toBe('hit');
      const plain = () =>
        fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `{ face(id: "${face.id}") { imageSha256 } }` }),
        });
      await plain();
      // The same read without imageUrl is cached, so the check above is not vacuous.
      expect((await plain()).headers.get('x-facegraph-cache')).toBe('hit');
    },
  );

  test('maxSide outside 16-1024 is a GraphQL error naming the range', async () => {
    for (const maxSide of [15, 1025]) {
      const response = await gql(server.url, `query($id: ID!) { face(id: $id) { imageUrl(maxSide: ${maxSide}) } }`, {
        id: face.id,
      });
      expect(response.errors?.[0]?.message).toBe(`'maxSide' must be from 16 to 1024 pixels; got ${maxSide}.`);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('once the face is deleted its links answer 404', async () => {
    const url = (await imageUrl(face.id, '(maxSide: 32, crop: FACE)'))!;
    expect((await get(url)).status).toBe(200);
    const deleted = await op(
      `mutation($l: ID!, $f: FaceFilter!) { deleteFaces(libraryId: $l, filter: $f) {
        ... on DeleteFacesSuccess { deletedCount } } }`,
      {
        l: libraryId,
        f: { faceIds: [face.id] },
      },
    );
    expect(deleted.deletedCount).toBe(1);
    const gone = await get(url);
    expect(gone.status).toBe(404);
    expect((await gone.json()).errors[0].extensions.code).toBe('NOT_FOUND');
  });
});

test('without a configured key, links are signed with a key made once and kept in the ledger', async () => {
  const server = await startTestServer({ ledger: 'sqlite' });
  try {
    const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);
    const libraryId = (
      await op(
        `mutation { createLibrary(input: { providerId: "local", name: "keyed" }) {
          ... on CreateLibrarySuccess { library { id } } } }`,
      )
    ).library.id;
    const registered = await op(
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { ... on RegisterFaceSuccess { face { id } } } }`,
      {
        i: { libraryId, image: { base64: (await facePhoto('B')).toString('base64') } },
      },
    );
    const url = (await op(`query($id: ID!) { face(id: $id) { imageUrl(maxSide: 32) } }`, { id: registered.face.id }))
      .imageUrl;
    expect((await fetch(url)).status).toBe(200);
    const key = await server.facegraph.ledger.faceImages.imageUrlSigningKey();
    expect(key.length).toBe(32);
    expect(await server.facegraph.ledger.faceImages.imageUrlSigningKey()).toEqual(key);
    const parsed = new URL(url);
    const claims = {
      faceId: registered.face.id,
      maxSide: 32,
      crop: 'NONE' as const,
      expires: Number(parsed.searchParams.get('expires')),
    };
    expect(parsed.searchParams.get('signature')).toBe(signImageUrl(key, claims));
  } finally {
    await server.close();
  }
}, 120_000);
