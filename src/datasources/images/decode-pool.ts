import { FaceGraphError } from '../../domain/errors';

export interface DecodePoolSettings {
  /** Images decoded at once, in the whole process. */
  concurrency: number;
  /** Images that may wait for a turn; beyond that a request is answered RateLimitedError at once. */
  maxWaiting: number;
  /** How long an image may wait for a turn before it is answered RateLimitedError. */
  maxWaitMs: number;
}

export const DEFAULT_DECODE_POOL: DecodePoolSettings = { concurrency: 2, maxWaiting: 32, maxWaitMs: 10_000 };

/** Mean decode time assumed before the pool has timed its own. */
const INITIAL_DECODE_MS = 200;

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

/** A bounded queue of image decodes: at most `concurrency` run, at most `maxWaiting` wait, none waits forever. */
export class DecodePool {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private averageDecodeMs = INITIAL_DECODE_MS;

  constructor(readonly settings: DecodePoolSettings) {}

  async run<T>(decode: () => Promise<T>): Promise<T> {
    if (this.running >= this.settings.concurrency) await this.turn();
    else this.running++;
    const started = Date.now();
    try {
      return await decode();
    } finally {
      this.averageDecodeMs = 0.8 * this.averageDecodeMs + 0.2 * (Date.now() - started);
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start(); // the slot passes straight to the next image
      } else {
        this.running--;
      }
    }
  }

  /** Images decoding and waiting now (diagnostics and tests). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private turn(): Promise<void> {
    if (this.waiting.length >= this.settings.maxWaiting) return Promise.reject(this.busyError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(this.busyError());
        }, this.settings.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private busyError(): FaceGraphError {
    const { concurrency, maxWaiting } = this.settings;
    const ahead = this.running + this.waiting.length;
    const retryAfterSeconds = Math.max(1, Math.ceil((ahead * this.averageDecodeMs) / concurrency / 1000));
    return new FaceGraphError({
      type: 'RateLimitedError',
      message:
        `The server is checking as many images as it allows (${concurrency} at a time, ${maxWaiting} waiting). ` +
        `Retry in about ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
      retryAfterSeconds,
    });
  }
}

const pools = new Map<string, DecodePool>();

/**
 * The process's pool for these settings. Decoding memory is the process's, so every server in it with the
 * same settings (tests start several) shares one pool.
 */
export function decodePoolFor(settings: DecodePoolSettings = DEFAULT_DECODE_POOL): DecodePool {
  const key = `${settings.concurrency}/${settings.maxWaiting}/${settings.maxWaitMs}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new DecodePool(settings);
    pools.set(key, pool);
  }
  return pool;
}
