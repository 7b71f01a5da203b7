import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { imageRejected } from '../../domain/errors';
import { decodePoolFor } from './decode-pool';
import type { ImageFormat, ImageLimits, LoadedImage } from './image';
import { describeBytes, tooLarge, unsupportedFormat } from './rejections';
import { applySharpSettings } from './sharp-settings';

applySharpSettings();

type DecodableFormat = Exclude<ImageFormat, 'bmp'>;

const MIME_TYPES: Record<DecodableFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
};

/**
 * Most memory one image may need held whole while it decodes. Baseline JPEG, non-interlaced PNG, still WebP
 * and TIFF decode in strips and never need it (measured: 0-42 MB at 8192 x 8192); progressive JPEG (every DCT
 * coefficient), interlaced PNG (every pixel) and GIF (an RGBA canvas) do, as measured, and so does an animated
 * WebP by the design of libwebp's animation decoder (not measured). Two decodes and two face-engine workers at
 * this size stay within the 300 MB a burst of hostile images may cost (bench: hostile images).
 */
export const WHOLE_IMAGE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Side the truncation check reduces the image to: small, so the check holds a few lines of the image rather
 * than all of it, and JPEG and WebP decode at 1/8 scale; every byte of compressed data is still read.
 */
const CHECK_SIDE = 64;

/**
 * Checks that `bytes` are a whole image of an accepted format and size and describes it. The byte cap, the
 * sides, the decoded size and the memory a whole-image decode would need are checked from the headers; then the
 * pixels are decoded, in the process's bounded decode pool, through a pipeline that shrinks them as they stream,
 * so a decompression bomb costs CPU but never its full size in memory.
 */
export async function decodeImage(bytes: Buffer, limits: ImageLimits): Promise<LoadedImage> {
  if (bytes.length > limits.maxBytes) throw tooLarge(limits, bytes.length);

  // Only the formats we accept reach sharp, so its SVG/HEIF/raw loaders never see untrusted input.
  const format = sniffFormat(bytes);
  if (!format) throw unsupportedFormat(bytes.length === 0 ? 'is empty' : undefined);

  const { width, height } = await checkHeaders(bytes, format, limits);
  await decodePoolFor(limits.decoding).run(() => checkPixels(bytes, limits));
  return {
    bytes,
    format,
    mimeType: MIME_TYPES[format],
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Refuses from the headers alone, outside the decode pool, so a bomb never waits for a turn to be refused. */
async function checkHeaders(bytes: Buffer, format: DecodableFormat, limits: ImageLimits) {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw unsupportedFormat('could not be read (it may be truncated or corrupt)');
  }
  if (metadata.format !== format || !metadata.width || !metadata.height) {
    throw unsupportedFormat('could not be read (it may be truncated or corrupt)');
  }
  const { width, height } = metadata.autoOrient ?? metadata;
  checkSides(width, height, limits);
  checkDecodedSize(metadata, limits);
  checkWholeImageMemory(metadata);
  return { width, height };
}

async function checkPixels(bytes: Buffer, limits: ImageLimits): Promise<void> {
  try {
    // Metadata reads headers only: truncated data shows only when every byte is decoded.
    const pixelLimit = limits.maxSide * limits.maxSide;
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: pixelLimit, sequentialRead: true })
      .resize({ width: CHECK_SIDE, height: CHECK_SIDE, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
  } catch {
    throw unsupportedFormat('could not be decoded (it may be truncated or corrupt)');
  }
}

const BYTES_PER_SAMPLE: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4 };

/**
 * The pixel data an image decodes to may be at most what a largest-side RGBA image with 8-bit samples holds
 * (256 MB at 8192 px): decoding costs time in proportion, and a few KB of TIFF can declare 16- to 64-bit samples.
 */
function checkDecodedSize(metadata: sharp.Metadata, limits: ImageLimits): void {
  const { width, height, channels = 4, depth = 'double' } = metadata;
  const bytesPerSample = BYTES_PER_SAMPLE[depth] ?? 8;
  const decoded = width! * height! * channels * bytesPerSample;
  const limit = limits.maxSide * limits.maxSide * 4;
  if (decoded <= limit) return;
  throw imageRejected(
    'TOO_LARGE',
    `The image is ${width}×${height} pixels of ${channels} channels at ${bytesPerSample * 8} bits, ` +
      `${describeBytes(decoded)} decoded; the limit is ${describeBytes(limit)} ` +
      `(${limits.maxSide}×${limits.maxSide} pixels of 4 channels at 8 bits).`,
  );
}

/** Bytes a decoder holds at once for an image it cannot stream (see WHOLE_IMAGE_MAX_BYTES); 0 when it streams. */
export function wholeImageBytes(metadata: sharp.Metadata): number {
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  const channels = metadata.channels ?? 4;
  switch (metadata.format) {
    case 'jpeg':
      // libjpeg keeps a 16-bit coefficient per sample of the whole image to combine the progressive scans.
      return metadata.isProgressive ? pixels * samplesPerPixel(metadata) * 2 : 0;
    case 'png':
      return metadata.isProgressive ? pixels * channels * (metadata.depth === 'ushort' ? 2 : 1) : 0;
    case 'gif':
      return pixels * 4;
    case 'webp':
      return (metadata.pages ?? 1) > 1 ? pixels * 4 : 0;
    default:
      return 0;
  }
}

/** JPEG samples per pixel after chroma subsampling ('4:2:0' is 1 + 2 x 1/4); every channel whole when unknown. */
function samplesPerPixel(metadata: sharp.Metadata): number {
  const channels = metadata.channels ?? 4;
  const chroma: Record<string, number> = { '4:4:4': 1, '4:2:2': 0.5, '4:4:0': 0.5, '4:2:0': 0.25, '4:1:1': 0.25 };
  const parts = metadata.chromaSubsampling?.split(':') ?? [];
  const fraction = chroma[parts.slice(0, 3).join(':')];
  if (channels < 3 || fraction === undefined) return channels;
  return 1 + 2 * fraction + (channels - 3);
}

function checkWholeImageMemory(metadata: sharp.Metadata): void {
  const needed = wholeImageBytes(metadata);
  if (needed <= WHOLE_IMAGE_MAX_BYTES) return;
  const kind = {
    jpeg: 'a progressive JPEG',
    png: 'an interlaced PNG',
    gif: 'a GIF',
    webp: 'an animated WebP',
  }[metadata.format as string];
  const { width, height } = metadata;
  const megapixels = Math.floor(((WHOLE_IMAGE_MAX_BYTES / needed) * (width! * height!)) / 1e5) / 10;
  throw imageRejected(
    'TOO_LARGE',
    `The image is ${kind} of ${width}×${height} pixels, which is decoded whole (about ${describeBytes(needed)}); ` +
      `the limit for such images is ${describeBytes(WHOLE_IMAGE_MAX_BYTES)}, ` +
      `about ${megapixels} megapixels for this one. Send it smaller, or as a baseline JPEG, ` +
      'a non-interlaced PNG or a still WebP, which may be as large as the side limit.',
  );
}

export function sniffFormat(bytes: Buffer): DecodableFormat | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (
    bytes
      .subarray(0, 6)
      .toString('latin1')
      .match(/^GIF8[79]a$/)
  )
    return 'gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') {
    return 'webp';
  }
  // Classic and BigTIFF, both byte orders.
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (starts(0x49, 0x49, 0x2b, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2b)) return 'tiff';
  return null;
}

function checkSides(width: number, height: number, limits: ImageLimits): void {
  if (width > limits.maxSide || height > limits.maxSide) {
    throw imageRejected(
      'TOO_LARGE',
      `The image is ${width}×${height} pixels; the largest accepted side is ${limits.maxSide} pixels.`,
    );
  }
  if (width < limits.minSide || height < limits.minSide) {
    throw imageRejected(
      'TOO_SMALL',
      `The image is ${width}×${height} pixels; both sides must be at least ${limits.minSide} pixels.`,
    );
  }
}
