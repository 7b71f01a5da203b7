import type { Logger } from 'pino';
import { openLedger } from '../datasources/ledger';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { RedisConnection } from '../datasources/redis/redis-connection';
import { RedisBroadcast } from '../datasources/redis/redis-broadcast';
import { sharedRateLimits } from '../datasources/redis/shared-rate-limit';
import { createServices, FaceEvents, ProviderRegistry, type Services } from '../services';
import type { FacegraphConfig } from './config';
import { decideAuthSettings } from './auth/auth-mode';
import type { Observability } from './observability';
import { createVendors } from './providers';

// What the app serves from, opened in the order a start needs: the ledger (and from its keys, whether the server
// may start at all), Redis, the vendors, the face events and the services over them.

/** How long a start waits for Redis before serving with per-replica limits. */
const REDIS_START_WAIT_MS = 2_000;
/** While Redis is away every write would fail to relay its events: one warning a minute says so. */
const RELAY_WARNING_INTERVAL_MS = 60_000;

export interface Backends {
  ledger: LedgerStore;
  authSettings: ReturnType<typeof decideAuthSettings>;
  redis: RedisConnection | null;
  providers: ProviderRegistry;
  faceEvents: FaceEvents;
  services: Services;
  /** Closes the vendors, the ledger and Redis (the face events are closed by their owner, before Apollo stops). */
  close(): Promise<void>;
}

/** Opens the backends; on a refusal (auth settings) or failure, closes what it opened, observability included. */
export async function openBackends(
  config: FacegraphConfig,
  logger: Logger,
  observability: Observability,
): Promise<Backends> {
  const ledger = observability.instrumentLedger(
    await openLedger(config.ledger.url, { poolSize: config.ledger.poolSize }).catch(async (e: unknown) => {
      await observability.close();
      throw e;
    }),
  );
  await ledger.migrate();
  // Before anything starts (the face engine's workers): a server nobody may reach unauthenticated stops here.
  const ledgerHasKeys = (await ledger.access.countUsableApiKeys(new Date())) > 0;
  let authSettings;
  try {
    authSettings = decideAuthSettings(config.auth, config.server.host, ledgerHasKeys);
  } catch (e) {
    await ledger.close();
    await observability.close();
    throw e;
  }
  const redis = config.redis ? new RedisConnection(config.redis, logger) : null;
  await redis?.whenConnected(REDIS_START_WAIT_MS);
  const adapters = createVendors(config, ledger, logger, {
    observers: observability.vendorObservers,
    rateLimits: redis ? sharedRateLimits(redis) : undefined,
  });
  const providers = new ProviderRegistry(adapters.vendors);
  let lastRelayWarning = 0;
  const faceEvents = new FaceEvents((e) => {
    if (Date.now() - lastRelayWarning < RELAY_WARNING_INTERVAL_MS) return;
    lastRelayWarning = Date.now();
    // The message only: ioredis errors can carry the command, and the event holds personal data.
    const reason = e instanceof Error ? e.message : String(e);
    logger.warn({ reason }, 'face events not relayed to other replicas (Redis)');
  });
  const faceEventBroadcast = redis ? new RedisBroadcast(redis, 'face-events') : null;
  if (faceEventBroadcast) {
    faceEvents.relayThrough(faceEventBroadcast);
    if (redis?.isAvailable()) await faceEventBroadcast.whenListening(REDIS_START_WAIT_MS);
  }
  const { keep, urlTtlSeconds, urlSigningKey, thumbnailCacheBytes } = config.images;
  const services = createServices(
    ledger,
    providers,
    { limits: config.images, urlFetch: config.images.urlFetch },
    { keep, urlTtlSeconds, urlSigningKey, thumbnailCacheBytes },
    faceEvents,
  );
  // Before serving: image files a crash left without a face (between a delete's commit and the file removal).
  await services.storedImages.sweep();
  return {
    ledger,
    authSettings,
    redis,
    providers,
    faceEvents,
    services,
    async close() {
      await providers.close();
      await adapters.close();
      await ledger.close();
      faceEventBroadcast?.close();
      await redis?.close();
    },
  };
}
