import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { FaceGraphError } from '../../src/domain/errors';
import { decodeBase64Image } from '../../src/datasources/images/base64';
import { decodeImage } from '../../src/datasources/images/decode';
import type { ImageLimits } from '../../src/datasources/images/image';
import { BOMB_SIDE, peakRssGrowth, solidImage, stripBombTiff } from '../support/hostile-images';

const limits: ImageLimits = { maxBytes: 1024 * 1024, minSide: 32, maxSide: 1024 };

function noise(width: number, height: number) {
  return sharp({
    create: { width, height, channels: 3, background: 'gray', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  });
}

async function rejection(p: Promise<unknown>): Promise<FaceGraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FaceGraphError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('decodeImage', () => {
  it.each([
    ['jpeg', 'image/jpeg', 640, 480],
    ['png', 'image/png', 64, 64],
    ['webp', 'image/webp', 300, 200],
    ['gif', 'image/gif', 100, 120],
    ['tiff', 'image/tiff', 50, 40],
  ] as const)('accepts %s', async (format, mimeType, width, height) => {
    const bytes = await noise(width, height).toFormat(format).toBuffer();
    const image = await decodeImage(bytes, limits);
    expect(image).toMatchObject({ format, mimeType, width, height });
    expect(image.bytes).toBe(bytes);
    expect(image.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('reports the displayed size of an EXIF-rotated JPEG', async () => {
    const bytes = await noise(200, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await decodeImage(bytes, limits)).toMatchObject({ width: 100, height: 200 });
  });

  it('rejects a truncated JPEG', async () => {
    const bytes = await noise(400, 300).jpeg().toBuffer();
    // Cuts into the scan data. A JPEG missing only its final EOI marker still holds every pixel and
    // libjpeg does not always flag it (measured: 18 of 300 random images decode cleanly), so that
    // cut is not a truncation this check can promise to see.
    for (const cut of [bytes.subarray(0, bytes.length / 2), bytes.subarray(0, bytes.length - 64)]) {
      const e = await rejection(decodeImage(Buffer.from(cut), limits));
      expect(e.detail).toMatchObject({ type: 'ImageRejectedError', reason: 'UNSUPPORTED_FORMAT' });
      expect(e.message).toMatch(/truncated/);
    }
  });

  it('rejects a truncated PNG', async () => {
    const bytes = await noise(200, 200).png().toBuffer();
    const e = await rejection(decodeImage(bytes.subarray(0, bytes.length - 100), limits));
    expect(e.detail).toMatchObject({ reason: 'UNSUPPORTED_FORMAT' });
  });

  it.each([
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))],
    ['a text file', Buffer.from('Hello, this is not an image.\n'.repeat(20))],
    ['HTML', Buffer.from('<!doctype html><html><body>nope</body></html>')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"></svg>')],
    ['BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(200)])],
    ['nothing', Buffer.alloc(0)],
    ['a JPEG header alone', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
  ])('rejects %s as UNSUPPORTED_FORMAT listing the accepted formats', async (_name, bytes) => {
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ type: 'ImageRejectedError', reason: 'UNSUPPORTED_FORMAT' });
    expect(e.message).toContain('JPEG, PNG, WebP, GIF or TIFF');
  });

  it('rejects an image with a side below minSide as TOO_SMALL', async () => {
    const bytes = await noise(100, 20).png().toBuffer();
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_SMALL' });
    expect(e.message).toContain('100×20');
    expect(e.message).toContain('at least 32 pixels');
  });

  it('rejects an image with a side above maxSide as TOO_LARGE', async () => {
    const bytes = await sharp({ create: { width: 1500, height: 100, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toContain('1500×100');
    expect(e.message).toContain('1024 pixels');
  });

  it('refuses a decompression bomb by its header, before decoding the pixels', async () => {
    // A small PNG whose header claims 50000×50000 pixels.
    const bytes = Buffer.from(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: 'black' } })
        .png()
        .toBuffer(),
    );
    bytes.writeUInt32BE(50000, 16);
    bytes.writeUInt32BE(50000, 20);
    bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
  });

  it('rejects more bytes than maxBytes as TOO_LARGE, stating both sizes', async () => {
    const bytes = await noise(1000, 1000).png().toBuffer();
    expect(bytes.length).toBeGreaterThan(limits.maxBytes);
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toMatch(/^The image is \d+(\.\d)? MB; the limit is 1 MB\.$/);
  });

  it('states a KB limit and exact sizes when rounding would hide the difference', async () => {
    const bytes = await noise(200, 200).jpeg().toBuffer();
    const small = { ...limits, maxBytes: 2000 };
    expect((await rejection(decodeImage(bytes, small))).message).toContain('the limit is 2 KB');
    const exact = { ...limits, maxBytes: bytes.length - 1 };
    expect((await rejection(decodeImage(bytes, exact))).message).toContain(`${bytes.length} bytes`);
  });
});

describe('decodeImage with hostile images', () => {
  // The server's default limits, under which an 8192 x 8192 image is acceptable.
  const serverLimits: ImageLimits = { maxBytes: 8 * 1024 * 1024, minSide: 32, maxSide: BOMB_SIDE };
  const MB = 1024 * 1024;
  // Decoding an 8192 x 8192 RGB image whole (even half of it) held 88-575 MB; streamed and shrunk, 0-32 MB.
  const STREAMED_PEAK = 64 * MB;
  // Refused from the headers: nothing near an image's worth of memory.
  const HEADER_PEAK = 24 * MB;

  it.each([
    ['a 1-bit PNG', () => solidImage().png({ palette: true, colours: 2, compressionLevel: 9 }).toBuffer()],
    ['an RGB PNG', () => solidImage().png({ compressionLevel: 9 }).toBuffer()],
    ['a baseline JPEG', () => solidImage().jpeg({ quality: 50 }).toBuffer()],
    ['a lossless WebP', () => solidImage().webp({ lossless: true }).toBuffer()],
    ['a deflate TIFF', () => solidImage().tiff({ compression: 'deflate' }).toBuffer()],
  ])('checks an 8192×8192 solid-colour bomb (%s) without holding its pixels', async (_kind, make) => {
    const bytes = await make();
    expect(bytes.length).toBeLessThan(1024 * 1024);
    const { result, bytes: peak } = await peakRssGrowth(() => decodeImage(bytes, serverLimits));
    expect(result).toMatchObject({ width: BOMB_SIDE, height: BOMB_SIDE });
    expect(peak).toBeLessThan(STREAMED_PEAK);
  });

  it.each([
    ['a JPEG cut to half', () => solidImage().jpeg({ quality: 50 }).toBuffer()],
    ['a PNG cut to half', () => solidImage().png({ compressionLevel: 9 }).toBuffer()],
  ])('finds an 8192×8192 image truncated (%s) without holding its pixels', async (_kind, make) => {
    const whole = await make();
    const half = whole.subarray(0, whole.length >> 1);
    const { result, bytes: peak } = await peakRssGrowth(() => decodeImage(half, serverLimits));
    expect((result as FaceGraphError).detail).toMatchObject({ reason: 'UNSUPPORTED_FORMAT' });
    expect((result as Error).message).toMatch(/truncated/);
    expect(peak).toBeLessThan(STREAMED_PEAK);
  });

  it('refuses a 5 KB TIFF declaring 8192×8192 16-bit RGBA pixels as TOO_LARGE, from its header', async () => {
    const bytes = stripBombTiff({ width: BOMB_SIDE, height: BOMB_SIDE, samples: 4, bits: 16 });
    expect(bytes.length).toBeLessThan(8 * 1024);
    const { result, bytes: peak } = await peakRssGrowth(() => decodeImage(bytes, serverLimits));
    expect((result as FaceGraphError).detail).toMatchObject({ type: 'ImageRejectedError', reason: 'TOO_LARGE' });
    expect((result as Error).message).toBe(
      'The image is 8192×8192 pixels of 4 channels at 16 bits, 512 MB decoded; ' +
        'the limit is 256 MB (8192×8192 pixels of 4 channels at 8 bits).',
    );
    expect(peak).toBeLessThan(HEADER_PEAK);
    // The same at 8 bits is within the limit.
    const eightBit = stripBombTiff({ width: BOMB_SIDE, height: BOMB_SIDE, samples: 4, bits: 8 });
    expect(await decodeImage(eightBit, serverLimits)).toMatchObject({ format: 'tiff', width: BOMB_SIDE });
  });

  it('refuses a TIFF declaring 1000000×1000000 pixels as TOO_LARGE, from its header', async () => {
    const bytes = stripBombTiff({ width: 1_000_000, height: 1_000_000, samples: 3, bits: 8, rowsPerStrip: 65536 });
    const { result, bytes: peak } = await peakRssGrowth(() => decodeImage(bytes, serverLimits));
    expect((result as FaceGraphError).detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect((result as Error).message).toContain('1000000×1000000');
    expect(peak).toBeLessThan(HEADER_PEAK);
  });

  it.each([
    [
      'a progressive JPEG',
      'jpeg',
      (side: number) => solidImage(side).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }),
      '384 MB',
    ],
    ['an interlaced PNG', 'png', (side: number) => solidImage(side).png({ progressive: true }), '192 MB'],
    ['a GIF', 'gif', (side: number) => solidImage(side).gif(), '256 MB'],
  ] as const)(
    'refuses %s that is decoded whole and would need more than 64 MB, from its header',
    async (kind, format, make, needed) => {
      const bytes = await make(BOMB_SIDE).toBuffer();
      const { result, bytes: peak } = await peakRssGrowth(() => decodeImage(bytes, serverLimits));
      expect((result as FaceGraphError).detail).toMatchObject({ type: 'ImageRejectedError', reason: 'TOO_LARGE' });
      const message = (result as Error).message;
      expect(message).toContain(`is ${kind} of 8192×8192 pixels, which is decoded whole (about ${needed})`);
      expect(message).toContain('the limit for such images is 64 MB');
      expect(peak).toBeLessThan(HEADER_PEAK);
      // Smaller, the same kind of image is accepted.
      expect(await decodeImage(await make(2000).toBuffer(), serverLimits)).toMatchObject({ format, width: 2000 });
    },
  );

  it('decodes at most limits.decoding.concurrency images at once, RateLimitedError beyond its queue', async () => {
    const bytes = await solidImage().png({ compressionLevel: 9 }).toBuffer();
    const oneAtATime = { ...serverLimits, decoding: { concurrency: 1, maxWaiting: 1, maxWaitMs: 60_000 } };
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => decodeImage(bytes, oneAtATime)));
    // The headers are read before the pool, so which of the three reaches it last varies.
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const busy = (outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason as FaceGraphError;
    expect(busy.detail).toMatchObject({ type: 'RateLimitedError' });
    expect(busy.detail).toHaveProperty('retryAfterSeconds', expect.any(Number));
    expect(busy.message).toMatch(/^The server is checking as many images as it allows \(1 at a time, 1 waiting\)\. /);
    expect(busy.message).toMatch(/ Retry in about \d+ seconds?\.$/);
  });

  it('refuses a bomb from its headers even while every decode turn is taken', async () => {
    const bytes = await solidImage().png({ compressionLevel: 9 }).toBuffer();
    const noWaiting = { ...serverLimits, decoding: { concurrency: 1, maxWaiting: 0, maxWaitMs: 60_000 } };
    const bomb = stripBombTiff({ width: BOMB_SIDE, height: BOMB_SIDE, samples: 4, bits: 16 });
    const [busy, refused] = await Promise.allSettled([decodeImage(bytes, noWaiting), decodeImage(bomb, noWaiting)]);
    expect(busy.status).toBe('fulfilled');
    const refusal = (refused as PromiseRejectedResult).reason as FaceGraphError;
    expect(refusal.detail).toMatchObject({ reason: 'TOO_LARGE' });
  });
});

describe('decodeBase64Image', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await noise(64, 48).jpeg().toBuffer();
  });

  it('accepts plain base64', async () => {
    expect(await decodeBase64Image(jpeg.toString('base64'), limits)).toMatchObject({ format: 'jpeg', width: 64 });
  });

  it('accepts a data URL and line-wrapped base64', async () => {
    const wrapped = jpeg.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const image = await decodeBase64Image(`  data:image/jpeg;base64,${wrapped}\n`, limits);
    expect(image.bytes.equals(jpeg)).toBe(true);
  });

  it('accepts the URL-safe alphabet without padding', async () => {
    expect((await decodeBase64Image(jpeg.toString('base64url'), limits)).bytes.equals(jpeg)).toBe(true);
  });

  it.each([
    ['invalid characters', 'abc$%def'],
    ['empty', ''],
    ['whitespace only', '  \n '],
    ['a data URL of another type', 'data:text/plain;base64,aGVsbG8='],
    ['a data URL without base64', 'data:image/png,abc'],
    ['a bad length', 'abcde'],
    ['padding in the middle', 'ab==cd=='],
  ])('rejects %s as InvalidInputError', async (_name, value) => {
    const e = await rejection(decodeBase64Image(value, limits));
    expect(e.detail).toMatchObject({ type: 'InvalidInputError', field: 'image.base64', constraint: 'BASE64' });
  });

  it('refuses an oversized string as TOO_LARGE without decoding it', async () => {
    const huge = 'A'.repeat(10 * 1024 * 1024);
    const e = await rejection(decodeBase64Image(huge, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toContain('1 MB');
    const justOver = 'A'.repeat(Math.ceil(((limits.maxBytes + 10) * 4) / 3));
    const e2 = await rejection(decodeBase64Image(justOver, limits));
    expect(e2.detail).toMatchObject({ reason: 'TOO_LARGE' });
  });

  it('decodes then checks the image', async () => {
    const e = await rejection(decodeBase64Image(Buffer.from('not an image').toString('base64'), limits));
    expect(e.detail).toMatchObject({ reason: 'UNSUPPORTED_FORMAT' });
  });
});
