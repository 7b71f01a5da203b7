export { HttpTransport } from './http-transport';
export { parseRetryAfter } from './retry-after';
export * from './transport';
export type { TransportObserver } from './transport';
export { localRateLimit, TokenBucket } from './rate-limit';
export type { RateLimit, RateLimitFactory, Turn } from './rate-limit';
