// A provider's requests-per-second limit. Every attempt of a request takes a turn, first come first served:
// in one process by default, or shared by every replica through Redis (datasources/redis/shared-rate-limit.ts).

export interface Turn {
  /** True when the turn was taken: the request may go once waitMs have passed. */
  granted: boolean;
  /** How long until the turn comes (granted or not). */
  waitMs: number;
}

export interface RateLimit {
  /** Takes the next turn when it comes within `maxWaitMs`; a turn further away is not taken. */
  takeTurn(maxWaitMs: number): Promise<Turn>;
}

/** Makes the limit of one provider from its id and rate. */
export type RateLimitFactory = (providerId: string, ratePerSecond: number) => RateLimit;

/** The limit of this process alone. */
export const localRateLimit: RateLimitFactory = (_providerId, ratePerSecond) => new TokenBucket(ratePerSecond);

/**
 * Burst max(1, rate), refilled at the rate. Tokens below zero are owed to requests already waiting, so each new
 * request queues behind them (FIFO).
 */
export class TokenBucket implements RateLimit {
  private readonly burst: number;
  private tokens: number;
  private updated = Date.now();

  constructor(private readonly ratePerSecond: number) {
    this.burst = burstOf(ratePerSecond);
    this.tokens = this.burst;
  }

  async takeTurn(maxWaitMs: number): Promise<Turn> {
    return this.takeTurnNow(maxWaitMs);
  }

  takeTurnNow(maxWaitMs: number): Turn {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) * this.ratePerSecond) / 1000);
    this.updated = now;
    const waitMs = this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
    if (waitMs > maxWaitMs) return { granted: false, waitMs };
    this.tokens -= 1;
    return { granted: true, waitMs };
  }
}

export function burstOf(ratePerSecond: number): number {
  return Math.max(1, ratePerSecond);
}
