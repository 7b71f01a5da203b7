// Images for the registration workloads.
//  - faceCrops(): single-face JPEGs cut from the face-api demo photos (the same faces tests/support/face-photos.ts
//    uses), for the LOCAL face engine.
//  - frsPictures(n): small distinct JPEGs for the FRS emulator, which "detects" one face per square picture
//    whose top-left corner is not black (see tests/emulators/huawei-frs/README.md).

import fs from 'node:fs';
import path from 'node:path';
import { requireFromRoot } from './util.mjs';

const sharp = requireFromRoot('sharp');
const SAMPLE_DIR = path.join(path.dirname(requireFromRoot.resolve('@vladmandic/face-api/package.json')), 'demo');

// Faces as the engine boxed them (tests/support/face-photos.ts: FACE_A, FACE_B).
const FACES = [
  { sample: 3, box: { x: 585, y: 328, width: 199, height: 272 } },
  { sample: 6, box: { x: 1180, y: 305, width: 188, height: 281 } },
];

export function samplePhoto(n) {
  return fs.readFileSync(path.join(SAMPLE_DIR, `sample${n}.jpg`));
}

async function crop(photo, box, margin, width) {
  const { width: w = 0, height: h = 0 } = await sharp(photo).metadata();
  const left = Math.max(0, Math.round(box.x - box.width * margin));
  const top = Math.max(0, Math.round(box.y - box.height * margin));
  const right = Math.min(w, Math.round(box.x + box.width * (1 + margin)));
  const bottom = Math.min(h, Math.round(box.y + box.height * (1 + margin)));
  return sharp(photo)
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** Six single-face JPEGs (two people, three framings each), 300-400 px wide. */
export async function faceCrops() {
  const out = [];
  for (const face of FACES) {
    const photo = samplePhoto(face.sample);
    for (const [margin, width] of [
      [0.5, 400],
      [0.6, 360],
      [0.7, 320],
    ]) {
      out.push(await crop(photo, face.box, margin, width));
    }
  }
  return out;
}

/** `n` distinct 240x240 JPEGs, each one "face" to the FRS emulator. */
export async function frsPictures(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const background = { r: 60 + ((i * 37) % 180), g: 60 + ((i * 71) % 180), b: 60 + ((i * 113) % 180) };
    out.push(
      await sharp({ create: { width: 240, height: 240, channels: 3, background, noise: undefined } })
        .composite([
          {
            input: await sharp({
              create: {
                width: 240,
                height: 240,
                channels: 3,
                background: 'gray',
                noise: { type: 'gaussian', mean: 128, sigma: 30 + i },
              },
            })
              .png()
              .toBuffer(),
            blend: 'soft-light',
          },
        ])
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return out;
}
