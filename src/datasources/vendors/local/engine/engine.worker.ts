// One face-engine worker thread (started by face-engine.ts). It owns a TensorFlow.js WASM backend and
// the face-api models, and analyses one image at a time:
//   in:  { id, bytes }                        the encoded image (JPEG, PNG, WebP, ...)
//   out: { type: 'ready' }                    once, after the models loaded and a warm-up ran
//        { type: 'failed', error }            instead of 'ready' when it cannot start (then it exits)
//        { id, faces: WorkerFace[] }          faces sorted by box area, largest first
//        { id, error }                        the image could not be analysed
// Replies never carry image bytes; descriptors are transferred, not copied.

import os from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import sharp from 'sharp';
import { applySharpSettings } from '../../../images/sharp-settings';
import { useLowPeakForward } from './ssd-forward';

export interface WorkerFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  descriptor: Float32Array;
}
export type WorkerRequest = { id: number; bytes: Uint8Array };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type?: undefined; id: number; faces: WorkerFace[] }
  | { type?: undefined; id: number; error: string };

// Detector: SsdMobilenetv1, chosen from measurements on the 2-core dev box (WASM+SIMD, one thread per worker),
// over the six 1920 px face-api demo samples (3, 3, 3, 4, 5 and 4 faces):
//   SSD  ~230 ms detection per photo whatever its size (it works on a 512x512 resize); with landmarks and
//        descriptors ~275 ms for one face, 410-530 ms for 3-5 faces. Finds all 22 faces at 768, 1024, 1280 and
//        1920 px, no false positives: real faces score 0.55-1.00, the best non-face candidate 0.08, and a noise
//        image or a sky/grass gradient yields no candidate at all.
//   Tiny ~50 ms detection (inputSize 416; ~105-130 ms at 608), but at <=1024 px it misses faces (sample2: 2 of
//        3, sample4: 3 of 4 at 416), at 416 it reports a duplicate box in sample6 (5 for 4), its boxes are loose
//        (~300 px for SSD's ~180 px), and real faces score as low as 0.30 while non-faces reach 0.29, so no
//        threshold separates them. The ~180 ms it saves does not pay for missed faces.
// MIN_CONFIDENCE 0.4: below the weakest real face seen (0.55) and far above the best non-face (0.08).
const MIN_CONFIDENCE = 0.4;
const MAX_RESULTS = 20;
// Long side the image is reduced to before analysis. Mean time per sample photo: 1920 px 534 ms, 1600 px 494,
// 1280 px 450, 1024 px 427, 800 px 408. Descriptor drift against full resolution (mean/max): 1600 px 0.061/0.163,
// 1280 px 0.067/0.154, 1024 px 0.079/0.161, 800 px 0.104/0.218. 1280 keeps faces detailed for the 150 px
// recognition crop at ~15% less time than full size.
const MAX_SIDE = 1280;
// The 68-point landmark net, not the tiny one: the tiny net saves ~10 ms but moves descriptors by 0.04-0.19.
const TINY_LANDMARKS = false;
const WARM_UP_SIDE = 512;

const detectorOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_CONFIDENCE, maxResults: MAX_RESULTS });

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

async function start(): Promise<void> {
  applySharpSettings();
  // Below the server's main thread: on Linux the nice value is per thread, so while both compete for a core
  // the GraphQL event loop wins, and the engine still gets every idle cycle.
  try {
    os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // not permitted here: keep the default priority
  }
  // The .wasm binaries ship inside the package; never fetch them from a CDN.
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep);
  setWasmPaths(wasmDir);
  tf.enableProdMode();
  if (!(await tf.setBackend('wasm')))
    throw new Error(`the TensorFlow.js WASM backend did not initialise (wasm files in ${wasmDir})`);
  await tf.ready();

  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  useLowPeakForward(faceapi.nets.ssdMobilenetv1);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  await warmUp();
}

/**
 * Runs each network once on blank input, so the first real image does not pay for kernel setup. The detector
 * always works on a 512 x 512 resize, so a 512 px blank sets up the same kernels as a full-size one, without
 * growing the WASM heap (which never shrinks) for a 1280 px input before a real image needs it: ~75 MB less.
 */
async function warmUp(): Promise<void> {
  const blank = faceapi.tf.zeros([WARM_UP_SIDE, Math.round(WARM_UP_SIDE * 0.75), 3], 'float32') as faceapi.tf.Tensor3D;
  const face = faceapi.tf.zeros([150, 150, 3], 'float32') as faceapi.tf.Tensor3D;
  try {
    await faceapi.detectAllFaces(blank, detectorOptions);
    await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(face);
  } finally {
    blank.dispose();
    face.dispose();
  }
}

// Images reach the engine after decodeImage checked them (src/datasources/images/decode.ts), which refuses those
// a decoder must hold whole. Sequential read and the resize stream the pixels: libvips shrinks JPEG and WebP on
// load, reduces PNG and TIFF line by line and orients after the shrink, so an 8192 x 8192 image costs 15-60 MB
// here (measured) rather than its full size (192-256 MB).
const INPUT_OPTIONS: sharp.SharpOptions = { sequentialRead: true };

async function analyse(bytes: Uint8Array): Promise<WorkerFace[]> {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = await sharp(input, INPUT_OPTIONS).metadata();
  const { data, info } = await sharp(input, INPUT_OPTIONS)
    .rotate() // apply the EXIF orientation, so boxes refer to the image as displayed
    .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' }) // transparent pixels become white, and the alpha channel goes
    .toColourspace('srgb') // greyscale and CMYK become 3-channel RGB
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected RGB`);
  const originalWidth = meta.autoOrient?.width ?? info.width;
  const originalHeight = meta.autoOrient?.height ?? info.height;
  const sx = originalWidth / info.width;
  const sy = originalHeight / info.height;

  // face-api bundles its own tfjs typings, so tensors it consumes are made through faceapi.tf (the same runtime).
  // float32 (0-255 exactly), which the networks cast their input to anyway: no int32 copy to cast at the peak.
  const tensor = faceapi.tf.tensor3d(new Float32Array(data), [info.height, info.width, 3], 'float32');
  let results: Awaited<ReturnType<typeof detectWithDescriptors>>;
  try {
    results = await detectWithDescriptors(tensor);
  } finally {
    tensor.dispose();
  }

  const faces = results.map((r): WorkerFace => {
    const b = r.detection.box;
    const x = clamp(Math.round(b.x * sx), 0, originalWidth);
    const y = clamp(Math.round(b.y * sy), 0, originalHeight);
    const right = clamp(Math.round((b.x + b.width) * sx), x, originalWidth);
    const bottom = clamp(Math.round((b.y + b.height) * sy), y, originalHeight);
    return {
      box: { x, y, width: right - x, height: bottom - y },
      score: r.detection.score,
      descriptor: new Float32Array(r.descriptor),
    };
  });
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

function detectWithDescriptors(tensor: faceapi.tf.Tensor3D) {
  return faceapi.detectAllFaces(tensor, detectorOptions).withFaceLandmarks(TINY_LANDMARKS).withFaceDescriptors();
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

if (!parentPort) throw new Error('engine.worker must run as a worker thread (see face-engine.ts)');
const port = parentPort;

start().then(
  () => {
    // Jobs run one after another: the pool sends a worker a new image only after its reply.
    port.on('message', (request: WorkerRequest) => {
      analyse(request.bytes).then(
        (faces) =>
          port.postMessage(
            { id: request.id, faces } satisfies WorkerReply,
            faces.map((f) => f.descriptor.buffer as ArrayBuffer),
          ),
        (e: unknown) => port.postMessage({ id: request.id, error: message(e) } satisfies WorkerReply),
      );
    });
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
  },
  (e: unknown) => {
    port.postMessage({ type: 'failed', error: message(e) } satisfies WorkerReply);
    process.exit(1);
  },
);
