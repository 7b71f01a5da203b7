import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

// Tests that need Redis use the one on 127.0.0.1:6379 (FACEGRAPH_TEST_REDIS_URL overrides it), each run under a
// key prefix of its own that it deletes afterwards, so that runs never see each other's keys.

export const TEST_REDIS_URL = process.env.FACEGRAPH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** fgtest:<pid>:<random>: */
export function uniqueKeyPrefix(): string {
  return `fgtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

export async function keysUnder(prefix: string, url = TEST_REDIS_URL): Promise<string[]> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanStream({ match: `${escapeGlob(prefix)}*`, count: 500 })) {
      keys.push(...(batch as string[]));
    }
    return keys;
  } finally {
    client.disconnect();
  }
}

export async function deleteKeysUnder(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const keys = await keysUnder(prefix, url);
  if (keys.length === 0) return;
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

/** How many clients the Redis at `url` has, counting the one that asks. */
export async function connectedClients(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const list = (await client.client('LIST')) as string;
    return list.split('\n').filter(Boolean).length;
  } finally {
    client.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** A 127.0.0.1 port nothing listens on (free a moment ago). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of the test's own, without persistence, that the test can stop (a lost Redis) and start again. */
export class DisposableRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<DisposableRedis> {
    const redis = new DisposableRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', [...args, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.removeAllListeners('exit');
  }

  /** Stops it answering while its connections stay open, as a hung server or a partitioned network would. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills it without warning, as a crash would. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}
