import { Writable } from 'node:stream';
import type { RateLimit, Turn } from '../../src/datasources/http/rate-limit';
import { RedisConnection } from '../../src/datasources/redis/redis-connection';
import { sharedRateLimits } from '../../src/datasources/redis/shared-rate-limit';
import { createLogger } from '../../src/server/logger';
import { deleteKeysUnder, DisposableRedis, freePort, keysUnder, TEST_REDIS_URL } from '../support/redis';
import { uniqueKeyPrefix } from '../support/redis';

// The transport's rate limit kept in the real Redis: two connections stand for two replicas.

const prefix = uniqueKeyPrefix();
const connections: RedisConnection[] = [];

function memoryLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

async function replica(url = TEST_REDIS_URL, log = memoryLog()) {
  const connection = new RedisConnection({ url, prefix }, log.logger);
  connections.push(connection);
  await connection.whenConnected(2_000);
  return { connection, limits: sharedRateLimits(connection), log };
}

/** Takes `count` turns at once, alternating between the limits; the waits in the order asked. */
function takeTurns(limits: RateLimit[], count: number, maxWaitMs = 30_000): Promise<Turn[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => limits[i % limits.length].takeTurn(maxWaitMs)));
}

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await deleteKeysUnder(prefix);
});

test('two replicas take turns from one bucket: the burst once, then one turn per 1/rate between them', async () => {
  const a = await replica();
  const b = await replica();
  const turns = await takeTurns([a.limits('frs-1', 10), b.limits('frs-1', 10)], 20);

  expect(turns.every((t) => t.granted)).toBe(true);
  const waits = turns.map((t) => t.waitMs).sort((x, y) => x - y);
  // Ten (the burst) go at once; each of the ten others 100 ms after the one before, whichever replica asked.
  expect(waits.filter((w) => w < 50)).toHaveLength(10);
  waits.slice(10).forEach((wait, i) => expect(wait).toBeGreaterThanOrEqual((i + 1) * 100 - 50));
  expect(await keysUnder(prefix)).toEqual([`${prefix}vendor-rate:frs-1`]);
});

test('a turn further away than the caller may wait is refused with its wait, and not taken', async () => {
  const a = await replica();
  const limit = a.limits('frs-2', 1);
  expect(await limit.takeTurn(0)).toEqual({ granted: true, waitMs: 0 });

  const refused = await limit.takeTurn(300);
  expect(refused.granted).toBe(false);
  expect(refused.waitMs).toBeGreaterThan(300);
  const next = await limit.takeTurn(5_000);
  expect(next.granted).toBe(true);
  expect(next.waitMs).toBeLessThanOrEqual(refused.waitMs);
  expect(next.waitMs).toBeGreaterThan(refused.waitMs - 100);
});

test('providers have buckets of their own', async () => {
  const a = await replica();
  const [first] = await takeTurns([a.limits('frs-3', 1)], 1);
  const [other] = await takeTurns([a.limits('azure-3', 1)], 1);
  expect([first.waitMs, other.waitMs]).toEqual([0, 0]);
});

test('without Redis each replica keeps its own limit, and says so once in the log', async () => {
  const log = memoryLog();
  const lost = await replica(`redis://127.0.0.1:${await freePort()}`, log);
  const turns = await takeTurns([lost.limits('frs-4', 10)], 15);

  expect(turns.every((t) => t.granted)).toBe(true);
  const waits = turns.map((t) => t.waitMs);
  expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
  expect(waits[14]).toBeGreaterThanOrEqual(450);
  expect(await lost.connection.check()).toBe('unavailable');
  const warnings = log.lines.filter((l) => /Redis is unavailable/.test(String(l.msg)));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: 40, code: 'ECONNREFUSED' });
});

describe('a Redis that stops answering', () => {
  let redis: DisposableRedis;
  afterAll(async () => {
    // The connections first: one whose Redis died reconnects until closed.
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await redis?.stop();
  });

  test('costs one command timeout, then turns come from the own bucket; shared again once it answers', async () => {
    redis = await DisposableRedis.start();
    const log = memoryLog();
    const a = await replica(redis.url, log);
    expect(await a.limits('frs-6', 10).takeTurn(0)).toEqual({ granted: true, waitMs: 0 });

    redis.pause();
    const started = Date.now();
    const turns = await takeTurns([a.limits('frs-6', 10)], 15);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(turns.map((t) => t.waitMs).filter((w) => w === 0)).toHaveLength(10);
    expect(log.lines.filter((l) => /Redis is unavailable/.test(String(l.msg)))).toHaveLength(1);

    redis.resume();
    const deadline = Date.now() + 5_000;
    while (!a.connection.isAvailable() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(log.lines.filter((l) => /Redis is reachable again/.test(String(l.msg)))).toHaveLength(1);
    const b = await replica(redis.url);
    const shared = await takeTurns([a.limits('frs-7', 10), b.limits('frs-7', 10)], 20);
    expect(shared.map((t) => t.waitMs).filter((w) => w < 50)).toHaveLength(10);
  });
});
