/**
 * Image checks around the shared "face detection" (../common/face-convention.ts; it is not a face engine).
 *
 * Conventions (also in README.md):
 * - Accepted formats are the documented JPG/JPEG/PNG/BMP, recognised by magic bytes. Anything else
 *   (GIF, WebP, random bytes) → FRS.0016. A JPEG/PNG that sharp cannot decode → FRS.0016.
 *   BMP is decoded by a small built-in decoder (uncompressed 24/32-bit only; sharp has no BMP input).
 * - Limits: image bytes ≤ 8 MiB, width and height ≤ 4096 px (the newer "4096×4096" text), every
 *   detected face ≥ 80×80 px; violations → FRS.0013.
 * - Tiles and faces: the shared convention (one face per tile, central 50% box, black corner = none).
 * - "Largest face" (used by `single: true` and by search) = largest box area, ties → leftmost.
 * - similarity(a, b) = max(0, 1 − RMSE(a, b) / 64) of the 16×16 grey fingerprints, rounded to 4 decimals.
 *   The same picture (even re-encoded or slightly resized) scores ≈ 1; unrelated pictures score far below
 *   the advised 0.93.
 */
import {
  decodeImage,
  faceBoxes,
  fingerprint,
  sniffFormat,
  similarity as rmseSimilarity,
} from '../common/face-convention';
import { FrsError } from './errors';

export { FINGERPRINT_SIDE } from '../common/face-convention';

export interface BoundingBox {
  top_left_x: number;
  top_left_y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  box: BoundingBox;
  /** 16×16 grey thumbnail of the face box. */
  fingerprint: Uint8Array;
}

export interface ImageLimits {
  maxImageBytes: number;
  maxWidth: number;
  maxHeight: number;
  minFaceSide: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxImageBytes: 8 * 1024 * 1024,
  maxWidth: 4096,
  maxHeight: 4096,
  minFaceSide: 80,
};

const undecodable = (why: string): never => {
  throw new FrsError('FRS.0016', why);
};

/**
 * Validates and "detects" faces in an image. Returns the faces left to right (possibly none: the
 * caller maps that to FRS.0404 for adds and FRS.0304 for searches).
 */
export async function detectFaces(bytes: Buffer, limits: ImageLimits): Promise<DetectedFace[]> {
  if (bytes.length > limits.maxImageBytes)
    throw new FrsError('FRS.0013', `the image is larger than ${limits.maxImageBytes} bytes`);
  const format = sniffFormat(bytes);
  if (format !== 'jpeg' && format !== 'png' && format !== 'bmp')
    throw new FrsError('FRS.0016', 'only JPG, JPEG, PNG and BMP are supported');
  const img = await decodeImage(bytes, format, undecodable);
  if (img.width > limits.maxWidth || img.height > limits.maxHeight) {
    throw new FrsError(
      'FRS.0013',
      `the resolution ${img.width}x${img.height} exceeds ${limits.maxWidth}x${limits.maxHeight}`,
    );
  }
  return faceBoxes(img).map((b) => {
    if (b.width < limits.minFaceSide || b.height < limits.minFaceSide) {
      throw new FrsError(
        'FRS.0013',
        `the face ${b.width}x${b.height} is smaller than ${limits.minFaceSide}x${limits.minFaceSide}`,
      );
    }
    return {
      box: { top_left_x: b.left, top_left_y: b.top, width: b.width, height: b.height },
      fingerprint: fingerprint(img, b),
    };
  });
}

/** Largest box area, ties → the leftmost (the first in detection order). */
export function largestFace<T extends { box: BoundingBox }>(faces: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const f of faces) {
    if (!best || f.box.width * f.box.height > best.box.width * best.box.height) best = f;
  }
  return best;
}

export const similarity = (a: Uint8Array, b: Uint8Array): number => rmseSimilarity(a, b, 4);
