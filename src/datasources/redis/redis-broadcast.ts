import type { Redis } from 'ioredis';
import type { RedisConnection } from './redis-connection';

// One Redis pub/sub channel shared by the replicas (face events). Publishing goes through the replica's connection,
// which fails at once while Redis is away (no queue: a write must not wait for it). Listening needs a connection of
// its own (a subscribed connection can run nothing else); ioredis subscribes again after every reconnect. Pub/sub
// keeps no history: what is published while a replica is cut off from Redis does not reach it.

export class RedisBroadcast {
  private subscriber: Redis | null = null;
  private subscribed: Promise<boolean> = Promise.resolve(false);
  private readonly channel: string;

  constructor(
    private readonly connection: RedisConnection,
    name: string,
  ) {
    this.channel = connection.key(name);
  }

  async publish(message: string): Promise<void> {
    await this.connection.client.publish(this.channel, message);
  }

  listen(onMessage: (message: string) => void): void {
    if (this.subscriber) throw new Error(`already listening on ${this.channel}`);
    // Queued until connected, and no time-out: a subscription waits for Redis however long it is away.
    this.subscriber = this.connection.client.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
    });
    // Reported by the connection's own health checks; an unhandled 'error' event would end the process.
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) onMessage(message);
    });
    this.subscribed = this.subscriber.subscribe(this.channel).then(
      () => true,
      () => false,
    );
  }

  /** True once this replica receives what the others publish; false after `timeoutMs` (a start never waits long). */
  whenListening(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return Promise.race([this.subscribed, timeout]).finally(() => clearTimeout(timer));
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = null;
  }
}
