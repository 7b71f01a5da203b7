import { Redis } from 'ioredis';
import type { Logger } from 'pino';

// The one Redis connection of a replica, for limits shared with the other replicas. Redis is never
// waited for: while it is unreachable or stops answering, callers use the limit of this replica alone.
// ioredis keeps reconnecting in the background (at most 2 s apart); a PING each second notices a Redis that
// is connected but does not answer, and when it answers again.

export interface RedisSettings {
  url: string;
  /** Put before every key. */
  prefix: string;
}

/** A command that takes longer than this counts as a failure; Redis answers in well under a millisecond. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
const HEALTH_CHECK_MS = 1_000;

type Availability = 'connecting' | 'available' | 'unavailable';

export class RedisConnection {
  readonly client: Redis;
  private availability: Availability = 'connecting';
  private closing = false;
  private readonly healthCheck: NodeJS.Timeout;

  constructor(
    private readonly settings: RedisSettings,
    private readonly logger: Logger,
  ) {
    this.client = new Redis(settings.url, {
      // Fail now rather than queue: a request waiting for Redis would be the outage a lost Redis must not cause.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // After quit() at shutdown (or a failed connection), how long a socket may take to close before it is destroyed.
      disconnectTimeout: COMMAND_TIMEOUT_MS,
    });
    this.client.on('ready', () => this.noteAvailable());
    this.client.on('error', (error: Error) => this.noteUnavailable(error));
    this.client.on('close', () => this.noteUnavailable(null));
    this.healthCheck = setInterval(() => void this.checkHealth(), HEALTH_CHECK_MS).unref();
  }

  /** False while Redis is known to be unreachable or not answering: then callers need not wait to find out. */
  isAvailable(): boolean {
    return this.availability === 'available' && this.client.status === 'ready';
  }

  /** The key of `name` in this deployment's key space. */
  key(name: string): string {
    return `${this.settings.prefix}${name}`;
  }

  /** Resolves once connected, once the first attempt failed, or after `timeoutMs`: a start never waits long. */
  async whenConnected(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready' || this.availability === 'unavailable') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const event of ['ready', 'error', 'close']) this.client.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const event of ['ready', 'error', 'close']) this.client.once(event, done);
    });
  }

  /** For /readyz: whether Redis answers a PING now. */
  async check(): Promise<'ok' | 'unavailable'> {
    try {
      await this.client.ping();
      return 'ok';
    } catch {
      return 'unavailable';
    }
  }

  /** Callers report each command's outcome too, so a Redis that stops answering is noticed at once. */
  noteAvailable(): void {
    const before = this.availability;
    this.availability = 'available';
    if (before === 'unavailable' && !this.closing) {
      this.logger.info('Redis is reachable again: rate limits are shared by the replicas again');
    }
  }

  noteUnavailable(error: Error | null): void {
    if (this.availability === 'unavailable' || this.closing) return;
    this.availability = 'unavailable';
    // The message and code only: ioredis attaches the failed command to errors, and AUTH's argument is the password.
    const reason = error ? { reason: error.message, code: (error as NodeJS.ErrnoException).code } : {};
    this.logger.warn(reason, 'Redis is unavailable: each replica applies the rate limits alone until it is back');
  }

  private async checkHealth(): Promise<void> {
    // Until connected, ioredis's own events tell.
    if (this.client.status !== 'ready') return;
    try {
      await this.client.ping();
      this.noteAvailable();
    } catch (error) {
      this.noteUnavailable(error as Error);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.healthCheck);
    try {
      if (this.client.status === 'ready') await this.client.quit();
    } catch {
      // disconnect() below ends it either way.
    }
    this.client.disconnect();
  }
}
