import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FaceGraphError } from '../../../../domain/errors';
import type { BoundingBox } from '../../../../domain/model';
import type { WorkerReply, WorkerRequest } from './engine.worker';
import { observeDetection, type FaceEngineObserver } from './engine-observation';

// The LOCAL provider's face engine: a pool of worker threads (engine.worker.ts), each holding its own
// TensorFlow.js WASM backend and face-api models, each analysing one image at a time. Images beyond the
// busy workers wait in a bounded queue; when it is full, detect() answers RateLimitedError at once.

export interface DetectedFace {
  /** In pixels of the image as displayed (EXIF orientation applied), integers. */
  box: BoundingBox;
  /** Detector confidence, 0..1. */
  score: number;
  /** 128 floats; compare two with euclideanDistance, and turn that into a similarity with distanceToSimilarity. */
  descriptor: Float32Array;
}

export interface FaceEngineOptions {
  /** Worker threads; default one (see defaultWorkerCount). */
  workers?: number;
  /** Images that may wait for a free worker (not counting those being analysed); default 8 per worker. */
  maxQueue?: number;
  /** Told of queue depth and job outcomes (metrics); none by default. */
  observer?: FaceEngineObserver;
}

export interface FaceEngine {
  /** The faces in an encoded image, largest box first; rejects with RateLimitedError when the queue is full. */
  detect(image: Buffer): Promise<DetectedFace[]>;
  /** True when every worker has loaded its models. */
  isReady(): boolean;
  /** Resolves when every worker is ready; rejects if the engine cannot start or was closed. */
  whenReady(): Promise<void>;
  /** Stops the workers; queued and running detections reject. */
  close(): Promise<void>;
}

/** Why a detection failed for reasons other than a full queue (the engine closed, a worker crashed, a bad image). */
export class FaceEngineError extends Error {
  constructor(
    message: string,
    /** True when the same image may succeed later (crash, timeout, closed engine); false for an unreadable image. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'FaceEngineError';
  }
}

/**
 * Similarity (0..1) from the Euclidean distance between two face descriptors:
 *
 *     similarity = clamp(1 - distance, 0, 1)
 *
 * so the API's default search threshold, similarity 0.6, means distance <= 0.40 (face-api's customary 0.6
 * distance would be similarity 0.4). Measured with this engine on the six 1920 px demo samples (22 faces, all
 * different people, 231 pairs): different people are 0.45-0.91 apart (5th percentile 0.58, median 0.71), i.e.
 * similarity <= 0.55, while face-api's 0.6 would have matched 19 of those pairs. The same face re-encoded (60%
 * size, JPEG quality 70) is 0.06-0.17 away (similarity >= 0.83); the same face re-detected in a crop of its photo
 * 0.03-0.30 (>= 0.70), one strongly tilted face 0.52 (0.48).
 */
export function distanceToSimilarity(distance: number): number {
  if (!Number.isFinite(distance)) return 0;
  return Math.min(1, Math.max(0, 1 - distance));
}

export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`descriptors differ in length (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/**
 * Workers by default: one. Each worker holds its own models, WASM heap and V8 isolate: ~250 MB RSS once warm and
 * ~400 MB once it has analysed photos (its WASM heap grows to its peak and never shrinks), so a second one would
 * take a LOCAL server past 600 MB under load. On the 2-core dev box 2 workers analysed 24 sample photos 1.65x as
 * fast as 1 (5.7-6.5 s vs 9.5-10.6 s; WASM runs one thread per worker): set `faceEngine.workers` for that
 * throughput at that memory.
 */
export function defaultWorkerCount(): number {
  return 1;
}

const DEFAULT_QUEUE_PER_WORKER = 8;
/** Measured mean time per photo (1-5 faces) before this engine has timed its own jobs. */
const INITIAL_JOB_MS = 450;
/** A job that runs this long is taken to hang: its worker is replaced and the job rejects. */
const JOB_TIMEOUT_MS = 60_000;

export function startFaceEngine(options: FaceEngineOptions = {}): FaceEngine {
  return new WorkerPoolFaceEngine(options, resolveWorkerScript());
}

/**
 * The compiled worker: beside this module when it runs from dist/, or in dist/ when this module runs from src/
 * (jest).
 */
export function resolveWorkerScript(): string {
  const beside = path.join(__dirname, 'engine.worker.js');
  if (fs.existsSync(beside)) return beside;
  const root = repositoryRoot(__dirname);
  const compiled = path.join(root, 'dist', path.relative(root, __dirname), 'engine.worker.js');
  if (fs.existsSync(compiled)) return compiled;
  throw new Error(`The face engine worker is not built: ${compiled} is missing. Run \`npm run build\` first.`);
}

function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`No package.json above ${from}, so the face engine worker cannot be found.`);
  }
}

interface Job {
  id: number;
  bytes: Uint8Array;
  resolve(faces: DetectedFace[]): void;
  reject(error: Error): void;
  startedAt?: number;
  timer?: NodeJS.Timeout;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  job: Job | null;
}

/** The engine behind startFaceEngine; exported for tests, which use its two diagnostic methods. */
export class WorkerPoolFaceEngine implements FaceEngine {
  private readonly size: number;
  private readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly waiters: { resolve(): void; reject(e: Error): void }[] = [];
  /** Worker threads started and not yet exited, including retired ones still stopping. */
  private readonly live = new Set<Worker>();
  private nextJobId = 1;
  private averageJobMs = INITIAL_JOB_MS;
  private failure: Error | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly observer: FaceEngineObserver | undefined;

  constructor(
    options: FaceEngineOptions,
    private readonly script: string,
  ) {
    this.size = Math.max(1, Math.floor(options.workers ?? defaultWorkerCount()));
    this.maxQueue = Math.max(1, Math.floor(options.maxQueue ?? DEFAULT_QUEUE_PER_WORKER * this.size));
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(i));
    this.observer = options.observer;
    this.observer?.watchLoad(() => ({
      queued: this.queue.length,
      running: this.slots.filter((s) => s.job).length,
      workers: this.size,
    }));
  }

  detect(image: Buffer): Promise<DetectedFace[]> {
    return observeDetection(this.observer, this.queue.length, () => this.enqueue(image));
  }

  private enqueue(image: Buffer): Promise<DetectedFace[]> {
    if (this.closed) return Promise.reject(new FaceEngineError('The face engine is closed.', true));
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length >= this.maxQueue) return Promise.reject(this.busyError());
    return new Promise<DetectedFace[]>((resolve, reject) => {
      // A copy the worker can own: the caller keeps its Buffer, and a pooled Buffer's neighbours stay here.
      const bytes = new Uint8Array(image);
      this.queue.push({ id: this.nextJobId++, bytes, resolve, reject });
      this.dispatch();
    });
  }

  isReady(): boolean {
    return !this.closed && !this.failure && this.slots.every((s) => s.ready);
  }

  whenReady(): Promise<void> {
    if (this.closed) return Promise.reject(new FaceEngineError('The face engine is closed.', true));
    if (this.failure) return Promise.reject(this.failure);
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    const closedError = () => new FaceEngineError('The face engine was closed before the image was analysed.', true);
    for (const job of this.queue.splice(0)) job.reject(closedError());
    this.settleWaiters(closedError());
    const stopping = this.slots.map(async (slot) => {
      if (slot.job) this.finishJob(slot, closedError());
      await this.retire(slot.worker);
    });
    // Then any replaced worker that is still on its way out.
    this.closing = Promise.all(stopping)
      .then(() => Promise.all([...this.live].map((w) => this.retire(w))))
      .then(() => undefined);
    return this.closing;
  }

  private spawn(index: number): Slot {
    const worker = new Worker(this.script, { name: `face-engine-${index}` });
    this.live.add(worker);
    worker.once('exit', () => this.live.delete(worker));
    const slot: Slot = { index, worker, ready: false, job: null };
    let startError: string | null = null;
    worker.on('message', (reply: WorkerReply) => {
      if (this.slots[index] !== slot) return;
      if (reply.type === 'ready') {
        slot.ready = true;
        this.dispatch();
        if (this.isReady()) this.settleWaiters(null);
      } else if (reply.type === 'failed') {
        startError = reply.error;
      } else {
        this.onReply(slot, reply);
      }
    });
    worker.on('error', (e) => {
      startError ??= e.message;
    });
    worker.on('exit', (code) => {
      if (this.closed || this.slots[index] !== slot) return;
      if (!slot.ready) {
        this.fail(
          new FaceEngineError(
            `The face engine could not start: worker ${index + 1} of ${this.size} stopped while loading ` +
              `the face models (exit code ${code})${startError ? `: ${startError}` : ''}.`,
            false,
          ),
        );
        return;
      }
      const cause = startError ? `: ${startError}` : '';
      if (slot.job)
        this.finishJob(
          slot,
          new FaceEngineError(
            `The face engine worker crashed while analysing the image (exit code ${code})${cause}. Try again.`,
            true,
          ),
        );
      this.replace(slot);
    });
    return slot;
  }

  /** Starts a fresh worker in a crashed or hung one's place; queued jobs wait for it (or go to the others). */
  private replace(slot: Slot): void {
    slot.ready = false;
    void this.retire(slot.worker);
    this.slots[slot.index] = this.spawn(slot.index);
  }

  private onReply(slot: Slot, reply: { id: number; faces: DetectedFace[] } | { id: number; error: string }): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    if ('error' in reply)
      this.finishJob(slot, new FaceEngineError(`The face engine could not analyse the image: ${reply.error}`, false));
    else this.finishJob(slot, reply.faces);
    this.dispatch();
  }

  private finishJob(slot: Slot, outcome: DetectedFace[] | Error): void {
    const job = slot.job!;
    slot.job = null;
    clearTimeout(job.timer);
    if (outcome instanceof Error) {
      job.reject(outcome);
    } else {
      // Exponential moving average of the time per image, for the retry estimate of a full queue.
      this.averageJobMs = 0.8 * this.averageJobMs + 0.2 * (Date.now() - job.startedAt!);
      job.resolve(outcome);
    }
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      job.startedAt = Date.now();
      job.timer = setTimeout(() => this.onTimeout(slot, job), JOB_TIMEOUT_MS);
      job.timer.unref();
      const request: WorkerRequest = { id: job.id, bytes: job.bytes };
      try {
        slot.worker.postMessage(request, [job.bytes.buffer as ArrayBuffer]);
      } catch (e) {
        this.finishJob(
          slot,
          new FaceEngineError(`The face engine could not hand the image to a worker: ${(e as Error).message}`, true),
        );
      }
    }
  }

  private onTimeout(slot: Slot, job: Job): void {
    if (this.slots[slot.index] !== slot || slot.job !== job) return;
    this.finishJob(
      slot,
      new FaceEngineError(
        `The face engine gave up on the image after ${JOB_TIMEOUT_MS / 1000} s; its worker was restarted.`,
        true,
      ),
    );
    this.replace(slot);
  }

  private busyError(): FaceGraphError {
    const waiting = this.queue.length;
    const running = this.slots.filter((s) => s.job).length;
    const retryAfterSeconds = Math.max(1, Math.ceil(((waiting + running) * this.averageJobMs) / this.size / 1000));
    const images = waiting === 1 ? '1 image is' : `${waiting} images are`;
    return new FaceGraphError({
      type: 'RateLimitedError',
      message:
        `The face engine is busy: ${images} waiting. ` +
        `Retry in about ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
      retryAfterSeconds,
    });
  }

  /** The engine cannot run: everything waiting, and every later call, rejects with this error. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const slot of this.slots) if (slot.job) this.finishJob(slot, error);
    this.settleWaiters(error);
    for (const slot of this.slots) void this.retire(slot.worker);
  }

  /** Stops a worker whose events no longer matter. */
  private async retire(worker: Worker): Promise<void> {
    worker.removeAllListeners();
    worker.on('error', () => {});
    await worker.terminate();
    this.live.delete(worker);
  }

  /** Diagnostics: worker threads still running (0 once close() resolved). */
  runningWorkers(): number {
    return this.live.size;
  }

  /** Test hook: ends worker `index` abruptly, the way a crash does, so the crash handling runs. */
  async simulateCrash(index = 0): Promise<void> {
    await this.slots[index]!.worker.terminate();
  }

  private settleWaiters(error: Error | null): void {
    for (const w of this.waiters.splice(0)) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
