/**
 * Image checks around the shared "face detection" (../common/face-convention.ts; it is not a face engine).
 *
 * Conventions (also in README.md; the same rules as the Huawei FRS emulator):
 * - Accepted formats (notes §2.3): JPEG, PNG, GIF (first frame) and BMP, recognised by magic bytes.
 *   Anything else, or bytes sharp cannot decode → 400 InvalidImage "Decoding error, image format
 *   unsupported.". BMP is read by a small built-in decoder (uncompressed 24/32-bit only).
 * - File size 1 KB .. 6 MB (1024 .. 6 × 1024 × 1024 bytes) → else 400 InvalidImageSize.
 * - Tiles and faces: the shared convention (one face per tile, central 50% box, black corner = none).
 * - Minimum detectable face (notes §2.3): 36×36 px for images up to 1920×1080; larger images need a
 *   proportionally larger face (36 × max(w/1920, h/1080)). Smaller faces are simply not detected.
 * - confidence(a, b) = max(0, 1 − RMSE(a, b) / 64) of the 16×16 grey fingerprints, rounded to 5 decimals.
 */
import { decodeImage, faceBoxes, fingerprint, similarity, sniffFormat, type Box } from '../common/face-convention';
import { Errors } from './errors';

export { FINGERPRINT_SIDE } from '../common/face-convention';

export type FaceRect = Box;

export interface DetectedFace {
  rect: FaceRect;
  /** 16×16 grey thumbnail of the face box */
  fingerprint: Uint8Array;
}

export interface DecodedImage {
  width: number;
  height: number;
  faces: DetectedFace[];
}

export const MIN_IMAGE_BYTES = 1024;
export const MAX_IMAGE_BYTES = 6 * 1024 * 1024;
const MIN_FACE = 36;

const undecodable = (): never => {
  throw Errors.decoding();
};

/** Size and format checks, decoding, and the tile convention. Faces are returned left to right. */
export async function analyseImage(bytes: Buffer): Promise<DecodedImage> {
  if (bytes.length < MIN_IMAGE_BYTES) throw Errors.tooSmall();
  if (bytes.length > MAX_IMAGE_BYTES) throw Errors.tooBig();
  const format = sniffFormat(bytes);
  if (!format) throw Errors.decoding();
  const img = await decodeImage(bytes, format, undecodable);
  const minFace = MIN_FACE * Math.max(1, img.width / 1920, img.height / 1080);
  const faces = faceBoxes(img)
    .filter((rect) => rect.width >= minFace && rect.height >= minFace)
    .map((rect) => ({ rect, fingerprint: fingerprint(img, rect) }));
  return { width: img.width, height: img.height, faces };
}

/** `targetFace=left,top,width,height` (CSV of 4 integers). Syntax errors → "Invalid argument targetFace." */
export function parseTargetFace(raw: string): FaceRect {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) throw Errors.targetFaceInvalid();
  const [left, top, width, height] = parts.map(Number) as [number, number, number, number];
  if (width <= 0 || height <= 0) throw Errors.targetFaceInvalid();
  return { left, top, width, height };
}

const overlaps = (a: FaceRect, b: FaceRect): boolean =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

/**
 * The single face to persist: with `targetFace`, the faces whose box overlaps it; without, all faces.
 * Exactly one is required (notes §2.3).
 */
export function pickFace(image: DecodedImage, target: FaceRect | undefined): DetectedFace {
  if (target && (target.left + target.width > image.width || target.top + target.height > image.height))
    throw Errors.targetFaceOutOfRange();
  const candidates = target ? image.faces.filter((f) => overlaps(f.rect, target)) : image.faces;
  if (candidates.length === 0) throw Errors.noFace();
  if (candidates.length > 1) throw Errors.manyFaces();
  return candidates[0] as DetectedFace;
}

export const confidence = (a: Uint8Array, b: Uint8Array): number => similarity(a, b, 5);
