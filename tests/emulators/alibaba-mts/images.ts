/**
 * Image checks around the shared "face detection" (../common/face-convention.ts; it is not a face engine).
 *
 * Conventions (also in README.md; the same tile rules as the Huawei FRS and Azure Face emulators):
 * - Formats: JPG/JPEG and PNG, recognised by magic bytes; at most 4 MB; at most 2160P (the longer side
 *   ≤ 3840 px and the shorter side ≤ 2160 px). The notes give these limits for smart tagging in general
 *   (UNVERIFIED for face registration). Violations and undecodable bytes → InvalidParameter.
 * - Tiles and faces: the shared convention (one frontal face per tile, black corner = none). There is no
 *   minimum face size.
 */
import { decodeImage, faceBoxes, sniffFormat } from '../common/face-convention';
import { Errors } from './errors';

export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
export const MAX_LONG_SIDE = 3840;
export const MAX_SHORT_SIDE = 2160;

const undecodable = (): never => {
  throw Errors.invalidParameter('the image can not be decoded');
};

/** Format, size and resolution checks, then the number of faces by the tile convention. */
export async function countFaces(bytes: Buffer): Promise<number> {
  const format = sniffFormat(bytes);
  if (format !== 'jpeg' && format !== 'png')
    throw Errors.invalidParameter('unsupported image format, only jpg, jpeg and png are supported');
  if (bytes.length > MAX_IMAGE_BYTES) throw Errors.invalidParameter('the image is larger than 4MB');
  const img = await decodeImage(bytes, format, undecodable);
  if (Math.max(img.width, img.height) > MAX_LONG_SIDE || Math.min(img.width, img.height) > MAX_SHORT_SIDE) {
    throw Errors.invalidParameter(`the image resolution ${img.width}x${img.height} exceeds 2160P`);
  }
  return faceBoxes(img).length;
}
