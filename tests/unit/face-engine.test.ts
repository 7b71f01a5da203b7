import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FaceGraphError } from '../../src/domain/errors';
import type { BoundingBox } from '../../src/domain/model';
import {
  FaceEngineError,
  WorkerPoolFaceEngine,
  distanceToSimilarity,
  euclideanDistance,
  resolveWorkerScript,
  startFaceEngine,
  type DetectedFace,
  type FaceEngine,
} from '../../src/datasources/vendors/local/engine/face-engine';
import {
  FACE_A,
  FACE_B,
  SAMPLE_FACE_COUNTS,
  THREE_FACE_SAMPLE,
  faceFreePhoto,
  resizedCopy,
  samplePhoto,
  singleFacePhoto,
} from '../support/face-photos';

// The real engine: compiled worker threads (npm test builds first), real models, real photos.

let engine: FaceEngine;
let faceA: Buffer;

beforeAll(async () => {
  engine = startFaceEngine();
  faceA = await singleFacePhoto(FACE_A);
  await engine.whenReady();
});
afterAll(async () => engine?.close());

function iou(a: BoundingBox, b: BoundingBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

function expectWellFormed(face: DetectedFace, image: { width: number; height: number }) {
  for (const v of Object.values(face.box)) expect(Number.isInteger(v)).toBe(true);
  expect(face.box.width).toBeGreaterThan(0);
  expect(face.box.height).toBeGreaterThan(0);
  expect(face.box.x + face.box.width).toBeLessThanOrEqual(image.width);
  expect(face.box.y + face.box.height).toBeLessThanOrEqual(image.height);
  expect(face.score).toBeGreaterThan(0);
  expect(face.score).toBeLessThanOrEqual(1);
  // Transferred from a worker, so from another realm than jest's: check the tag, not instanceof.
  expect(Object.prototype.toString.call(face.descriptor)).toBe('[object Float32Array]');
  expect(face.descriptor).toHaveLength(128);
  expect(face.descriptor.every(Number.isFinite)).toBe(true);
  expect(face.descriptor.some((v) => v !== 0)).toBe(true);
}

async function sizeOf(image: Buffer) {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  return { width, height };
}

/** Where FACE_A's box lies in its 50%-margin crop (the crop is not clipped by the photo's edges). */
const FACE_A_IN_CROP: BoundingBox = {
  x: Math.round(FACE_A.box.width * 0.5),
  y: Math.round(FACE_A.box.height * 0.5),
  width: FACE_A.box.width,
  height: FACE_A.box.height,
};

describe('descriptor distance and similarity', () => {
  test('euclideanDistance is the L2 distance and refuses descriptors of different lengths', () => {
    expect(euclideanDistance(new Float32Array([0, 0, 0]), new Float32Array([1, 2, 2]))).toBeCloseTo(3);
    expect(() => euclideanDistance(new Float32Array(128), new Float32Array(3))).toThrow(/length/);
  });

  test('distanceToSimilarity is 1 - distance, clamped to 0..1', () => {
    expect(distanceToSimilarity(0)).toBe(1);
    expect(distanceToSimilarity(0.4)).toBeCloseTo(0.6);
    expect(distanceToSimilarity(0.75)).toBeCloseTo(0.25);
    expect(distanceToSimilarity(1)).toBe(0);
    expect(distanceToSimilarity(1.7)).toBe(0);
    expect(distanceToSimilarity(Number.NaN)).toBe(0);
  });
});

describe('the face engine on real photos', () => {
  test('is ready once every worker loaded its models', () => {
    expect(engine.isReady()).toBe(true);
  });

  test('a single-face photo yields one face with a plausible box and a 128-float descriptor', async () => {
    const faces = await engine.detect(faceA);
    expect(faces).toHaveLength(1);
    expectWellFormed(faces[0]!, await sizeOf(faceA));
    expect(faces[0]!.score).toBeGreaterThan(0.9);
    expect(iou(faces[0]!.box, FACE_A_IN_CROP)).toBeGreaterThan(0.5);
  });

  test('the three-face photo yields three separate faces, largest first, in original pixels', async () => {
    const photo = samplePhoto(THREE_FACE_SAMPLE);
    expect(SAMPLE_FACE_COUNTS[THREE_FACE_SAMPLE]).toBe(3);
    const faces = await engine.detect(photo);
    expect(faces).toHaveLength(3);
    const size = await sizeOf(photo);
    expect(size.width).toBe(1920);
    faces.forEach((f) => expectWellFormed(f, size));
    const areas = faces.map((f) => f.box.width * f.box.height);
    expect([...areas].sort((a, b) => b - a)).toEqual(areas);
    expect(iou(faces[0]!.box, faces[1]!.box)).toBe(0);
    expect(iou(faces[0]!.box, faces[2]!.box)).toBe(0);
    expect(iou(faces[1]!.box, faces[2]!.box)).toBe(0);
    // Faces ~180-200 px wide in a 1920 px photo: boxes were scaled back from the 1280 px working copy.
    for (const f of faces) expect(f.box.width).toBeGreaterThan(120);
  });

  test('a face-free image yields no face', async () => {
    expect(await engine.detect(await faceFreePhoto())).toEqual([]);
  });

  test('a resized, re-encoded copy is the same face; another person is not', async () => {
    const [original] = await engine.detect(faceA);
    const copies = await engine.detect(await resizedCopy(faceA, 0.6, 70));
    expect(copies).toHaveLength(1);
    const copy = copies[0]!;
    const scaledBack = {
      x: copy.box.x / 0.6,
      y: copy.box.y / 0.6,
      width: copy.box.width / 0.6,
      height: copy.box.height / 0.6,
    };
    expect(iou(scaledBack, original!.box)).toBeGreaterThan(0.7);
    const same = distanceToSimilarity(euclideanDistance(original!.descriptor, copy.descriptor));
    expect(same).toBeGreaterThanOrEqual(0.8);

    const [other] = await engine.detect(await singleFacePhoto(FACE_B));
    const different = distanceToSimilarity(euclideanDistance(original!.descriptor, other!.descriptor));
    expect(different).toBeLessThan(0.6);
  });

  test('EXIF orientation is applied: boxes refer to the photo as displayed', async () => {
    // Pixels stored turned a quarter left, with EXIF orientation 6 ("rotate 90° clockwise to display").
    const stored = await sharp(faceA).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    const [upright] = await engine.detect(faceA);
    const faces = await engine.detect(stored);
    expect(faces).toHaveLength(1);
    expect(iou(faces[0]!.box, upright!.box)).toBeGreaterThan(0.8);
  });

  test('bytes that are no image reject with a FaceEngineError, and the engine keeps working', async () => {
    const failure = await engine.detect(Buffer.from('this is not an image')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FaceEngineError);
    expect((failure as FaceEngineError).message).toMatch(/^The face engine could not analyse the image: /);
    expect((failure as FaceEngineError).retryable).toBe(false);
    expect(await engine.detect(faceA)).toHaveLength(1);
  });
});

describe('the worker pool', () => {
  let small: WorkerPoolFaceEngine;
  beforeAll(async () => {
    small = startFaceEngine({ workers: 1, maxQueue: 1 }) as WorkerPoolFaceEngine;
    await small.whenReady();
  });
  afterAll(async () => small?.close());

  test('a full queue answers RateLimitedError at once; the accepted images are analysed', async () => {
    const started = Date.now();
    const outcomes = Array.from({ length: 6 }, () =>
      small.detect(faceA).then(
        (faces) => ({ faces, at: Date.now() - started }),
        (error: unknown) => ({ error, at: Date.now() - started }),
      ),
    );
    const settled = await Promise.all(outcomes);
    const rejected = settled.filter((o) => 'error' in o);
    const resolved = settled.filter((o) => 'faces' in o);
    // One image runs, one waits; the other four are turned away.
    expect(resolved).toHaveLength(2);
    expect(rejected).toHaveLength(4);
    for (const r of resolved) expect((r as { faces: DetectedFace[] }).faces).toHaveLength(1);
    for (const r of rejected) {
      const error = (r as { error: unknown }).error;
      expect(error).toBeInstanceOf(FaceGraphError);
      const detail = (error as FaceGraphError).detail;
      expect(detail.type).toBe('RateLimitedError');
      expect(detail.message).toMatch(/^The face engine is busy: 1 image is waiting\. Retry in about \d+ seconds?\.$/);
      const retryAfter = (detail as { retryAfterSeconds?: number }).retryAfterSeconds!;
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      // Answered at once: before even the running image was done.
      expect(r.at).toBeLessThan(Math.min(...resolved.map((o) => o.at)));
    }
  });

  test('a crashed worker is replaced, and the image it was analysing rejects instead of hanging', async () => {
    const inFlight = small.detect(faceA);
    await small.simulateCrash(0);
    await expect(inFlight).rejects.toThrow(/^The face engine worker crashed while analysing the image/);
    expect(small.isReady()).toBe(false);
    await small.whenReady();
    expect(small.runningWorkers()).toBe(1);
    expect(await small.detect(faceA)).toHaveLength(1);
  });

  test('close() rejects running and queued images and leaves no worker running', async () => {
    const running = expect(small.detect(faceA)).rejects.toThrow(
      /^The face engine was closed before the image was analysed\.$/,
    );
    const queued = expect(small.detect(faceA)).rejects.toThrow(
      /^The face engine was closed before the image was analysed\.$/,
    );
    await small.close();
    await running;
    await queued;
    expect(small.runningWorkers()).toBe(0);
    expect(small.isReady()).toBe(false);
    await expect(small.detect(faceA)).rejects.toThrow(/closed/);
    await expect(small.whenReady()).rejects.toThrow(/closed/);
  });
});

describe('starting the engine', () => {
  test('under jest the compiled worker in dist/ is used', () => {
    const script = resolveWorkerScript();
    expect(script).toMatch(/dist[\\/]src[\\/]datasources[\\/]vendors[\\/]local[\\/]engine[\\/]engine\.worker\.js$/);
    expect(fs.existsSync(script)).toBe(true);
  });

  test('whenReady rejects with a clear message when a worker cannot start, and so do waiting detections', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'face-engine-'));
    const reports = path.join(dir, 'reports-failure.js');
    fs.writeFileSync(
      reports,
      "require('node:worker_threads').parentPort.postMessage({ type: 'failed', " +
        "error: 'model files missing' }); process.exit(1);",
    );
    const throws = path.join(dir, 'throws.js');
    fs.writeFileSync(throws, "throw new Error('cannot load the wasm backend');");
    try {
      const reporting = new WorkerPoolFaceEngine({ workers: 1 }, reports);
      const waiting = reporting.detect(faceA);
      await expect(reporting.whenReady()).rejects.toThrow(
        /^The face engine could not start: worker 1 of 1 stopped while loading the face models \(exit code 1\): model files missing\.$/,
      );
      await expect(waiting).rejects.toThrow(/could not start/);
      await expect(reporting.detect(faceA)).rejects.toThrow(/could not start/);
      expect(reporting.isReady()).toBe(false);
      await reporting.close();

      const throwing = new WorkerPoolFaceEngine({ workers: 1 }, throws);
      await expect(throwing.whenReady()).rejects.toThrow(/could not start.*cannot load the wasm backend/);
      await throwing.close();
      expect(throwing.runningWorkers()).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
