import sharp from 'sharp';
import { FACE_A, FACE_B, singleFacePhoto } from './face-photos';

/** A real image of the given format, size and colour, made with sharp: no face in it. */
export async function makeImage(
  format: 'jpeg' | 'png',
  width = 96,
  height = 96,
  background = '#c8966e',
): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background } });
  return format === 'jpeg' ? image.jpeg({ quality: 85 }).toBuffer() : image.png().toBuffer();
}

/**
 * A single-face photo of person A or B (crops of the face-api sample photos). `variant` changes the
 * encoding, so each variant has bytes (and a sha256) of its own while showing the same face.
 */
export async function facePhoto(person: 'A' | 'B', format: 'jpeg' | 'png' = 'jpeg', variant = 0): Promise<Buffer> {
  const crop = await singleFacePhoto(person === 'A' ? FACE_A : FACE_B);
  const image = sharp(crop).resize({ width: 360 - variant * 8 });
  return format === 'jpeg' ? image.jpeg({ quality: 88 - variant }).toBuffer() : image.png().toBuffer();
}
