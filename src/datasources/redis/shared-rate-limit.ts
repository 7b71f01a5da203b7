import { burstOf, TokenBucket, type RateLimit, type RateLimitFactory, type Turn } from '../http/rate-limit';
import type { RedisConnection } from './redis-connection';

// The transport's token bucket (http/rate-limit.ts) kept in Redis, so that N replicas together send a provider
// at most its rate. The same arithmetic runs in one script, atomically, on Redis's clock. While Redis is
// unreachable each replica takes turns from its own bucket: per-replica limits, never none.

const TAKE_TURN_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
if wait > max_wait then return {0, wait} end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {1, wait}
`;

const COMMAND = 'facegraphTakeTurn';

interface TakeTurnCommand {
  [COMMAND](key: string, ratePerSecond: number, burst: number, maxWaitMs: number): Promise<[number, number]>;
}

/** Rate limits every replica connected to this Redis shares, one per provider id. */
export function sharedRateLimits(connection: RedisConnection): RateLimitFactory {
  if (!(COMMAND in connection.client)) {
    connection.client.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_TURN_SCRIPT });
  }
  return (providerId, ratePerSecond) =>
    new SharedTokenBucket(connection, connection.key(`vendor-rate:${providerId}`), ratePerSecond);
}

class SharedTokenBucket implements RateLimit {
  private readonly ownBucket: TokenBucket;

  constructor(
    private readonly connection: RedisConnection,
    private readonly key: string,
    private readonly ratePerSecond: number,
  ) {
    this.ownBucket = new TokenBucket(ratePerSecond);
  }

  async takeTurn(maxWaitMs: number): Promise<Turn> {
    const client = this.connection.client as unknown as TakeTurnCommand;
    if (!this.connection.isAvailable()) return this.ownBucket.takeTurnNow(maxWaitMs);
    const burst = burstOf(this.ratePerSecond);
    try {
      const [granted, waitMs] = await client[COMMAND](this.key, this.ratePerSecond, burst, Math.floor(maxWaitMs));
      this.connection.noteAvailable();
      return { granted: granted === 1, waitMs };
    } catch (error) {
      this.connection.noteUnavailable(error as Error);
      return this.ownBucket.takeTurnNow(maxWaitMs);
    }
  }
}
