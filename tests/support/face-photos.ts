import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { BoundingBox } from '../../src/domain/model';

// Real photos for the face engine's tests: the six demo photos that ship with @vladmandic/face-api
// (1920 px wide JPEGs of groups of women; every face is a different person), and images made from them.

const SAMPLE_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export type SampleNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** The bytes of demo/sample<n>.jpg. */
export function samplePhoto(n: SampleNumber): Buffer {
  return fs.readFileSync(path.join(SAMPLE_DIR, `sample${n}.jpg`));
}

/**
 * Faces per sample, counted by eye and matched by the engine (SsdMobilenetv1, 1280 px): no sample shows a single
 * face; 1, 2 and 3 show three, 4 and 6 four, 5 five.
 */
export const SAMPLE_FACE_COUNTS: Record<SampleNumber, number> = { 1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4 };

/**
 * The three-face sample the tests use: sample1, whose three faces are frontal and well lit (detector scores
 * 0.99-1.00), where sample2 has a face in profile (0.76) and sample3 one at 0.61.
 */
export const THREE_FACE_SAMPLE: SampleNumber = 1;

/** A face in a sample, as the engine boxed it (original pixels). */
export interface SampleFace {
  sample: SampleNumber;
  box: BoundingBox;
}

/** sample3, left: curly blonde hair, holding a glass; frontal, detector score 0.99-1.00. */
export const FACE_A: SampleFace = { sample: 3, box: { x: 585, y: 328, width: 199, height: 272 } };
/** sample6, third from the left: dark hair with light ends, pouting; frontal, score 0.94-1.00. ~0.8 from FACE_A. */
export const FACE_B: SampleFace = { sample: 6, box: { x: 1180, y: 305, width: 188, height: 281 } };

/**
 * A JPEG of `box` grown by `margin` (a fraction of the box's size) on every side, clipped to the photo. The
 * 0.5 default leaves enough head and shoulders for the detector, and no neighbour, for FACE_A and FACE_B.
 */
export async function cropFace(photo: Buffer, box: BoundingBox, margin = 0.5): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(photo).metadata();
  const left = Math.max(0, Math.round(box.x - box.width * margin));
  const top = Math.max(0, Math.round(box.y - box.height * margin));
  const right = Math.min(width, Math.round(box.x + box.width * (1 + margin)));
  const bottom = Math.min(height, Math.round(box.y + box.height * (1 + margin)));
  return sharp(photo)
    .extract({ left, top, width: right - left, height: bottom - top })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A single-face photo: the crop of a sample face. */
export async function singleFacePhoto(face: SampleFace, margin = 0.5): Promise<Buffer> {
  return cropFace(samplePhoto(face.sample), face.box, margin);
}

/** The same picture at `scale` of its size, re-encoded as JPEG at `quality`. */
export async function resizedCopy(photo: Buffer, scale = 0.6, quality = 70): Promise<Buffer> {
  const { width = 0 } = await sharp(photo).metadata();
  return sharp(photo)
    .resize({ width: Math.round(width * scale) })
    .jpeg({ quality })
    .toBuffer();
}

/** A face-free JPEG: a landscape of sky, sun, hills and grass, with a little noise so it is not flat. */
export async function faceFreePhoto(width = 1200, height = 800): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#6fa8ff"/><stop offset="1" stop-color="#e3f1ff"/></linearGradient></defs>
    <rect width="${width}" height="${height}" fill="url(#sky)"/>
    <circle cx="${width * 0.8}" cy="${height * 0.2}" r="${height * 0.08}" fill="#fff4b8"/>
    <path d="M0 ${height * 0.62} Q ${width * 0.25} ${height * 0.45} ${width * 0.5} ${height * 0.6} ` +
    `T ${width} ${height * 0.55} V ${height} H 0 Z" fill="#4f7d3a"/>
    <rect y="${height * 0.78}" width="${width}" height="${height * 0.22}" fill="#2f5a22"/>
  </svg>`;
  const noise = await sharp({
    create: { width, height, channels: 3, background: 'gray', noise: { type: 'gaussian', mean: 128, sigma: 12 } },
  })
    .png()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, blend: 'soft-light' }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
