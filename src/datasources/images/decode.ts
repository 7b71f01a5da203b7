import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { imageRejected } from '../../domain/errors';
import type { ImageFormat, ImageLimits, LoadedImage } from './image';
import { tooLarge, unsupportedFormat } from './rejections';

type DecodableFormat = Exclude<ImageFormat, 'bmp'>;

const MIME_TYPES: Record<DecodableFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
};

/**
 * Checks that `bytes` are a whole image of an accepted format and size and describes it.
 * The byte cap and the sides are checked before the pixels are decoded.
 */
export async function decodeImage(bytes: Buffer, limits: ImageLimits): Promise<LoadedImage> {
  if (bytes.length > limits.maxBytes) throw tooLarge(limits, bytes.length);

  // Only the formats we accept reach sharp, so its SVG/HEIF/raw loaders never see untrusted input.
  const format = sniffFormat(bytes);
  if (!format) throw unsupportedFormat(bytes.length === 0 ? 'is empty' : undefined);

  let metadata: sharp.Metadata;
  try {
    // Headers only; the sides are checked below, before any pixels are decoded.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw unsupportedFormat('could not be read (it may be truncated or corrupt)');
  }
  if (metadata.format !== format || !metadata.width || !metadata.height) {
    throw unsupportedFormat('could not be read (it may be truncated or corrupt)');
  }
  const { width, height } = metadata.autoOrient ?? metadata;
  checkSides(width, height, limits);

  try {
    // A full decode is the only reliable way to notice truncated data (metadata reads headers only).
    // The pixel cap is a second guard against decompression bombs, after the side check.
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: limits.maxSide * limits.maxSide }).raw().toBuffer();
  } catch {
    throw unsupportedFormat('could not be decoded (it may be truncated or corrupt)');
  }

  return {
    bytes,
    format,
    mimeType: MIME_TYPES[format],
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export function sniffFormat(bytes: Buffer): DecodableFormat | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (bytes.subarray(0, 6).toString('latin1').match(/^GIF8[79]a$/)) return 'gif';
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
