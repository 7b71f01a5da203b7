import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { FaceGraphError } from '../../src/domain/errors';
import { decodeBase64Image } from '../../src/datasources/images/base64';
import { decodeImage } from '../../src/datasources/images/decode';
import type { ImageLimits } from '../../src/datasources/images/image';

const limits: ImageLimits = { maxBytes: 1024 * 1024, minSide: 32, maxSide: 1024 };

function noise(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: 'gray', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
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
    const bytes = await sharp({ create: { width: 1500, height: 100, channels: 3, background: 'white' } }).png().toBuffer();
    const e = await rejection(decodeImage(bytes, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toContain('1500×100');
    expect(e.message).toContain('1024 pixels');
  });

  it('refuses a decompression bomb by its header, before decoding the pixels', async () => {
    // A small PNG whose header claims 50000×50000 pixels.
    const bytes = Buffer.from(await sharp({ create: { width: 64, height: 64, channels: 3, background: 'black' } }).png().toBuffer());
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
