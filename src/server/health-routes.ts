import type { Express, RequestHandler } from 'express';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { RedisConnection } from '../datasources/redis/redis-connection';
import type { ProviderRegistry } from '../services';
import { METRICS_PATH } from './observability';

// What orchestrators and scrapers ask: liveness, readiness and the Prometheus metrics.

export interface Readiness {
  ready: boolean;
  ledger: 'ok' | 'unavailable';
  providers: 'ok' | 'starting';
  /** Only with redis.url. Informational: without Redis the limits are per replica, and the server still serves. */
  redis?: 'ok' | 'unavailable';
}

/** What GET /readyz reports: the ledger answers and the providers (the LOCAL engine's workers) are up. */
export function readinessCheck(
  ledger: LedgerStore,
  providers: ProviderRegistry,
  redis: RedisConnection | null,
): () => Promise<Readiness> {
  return async () => {
    const ledgerReady = await ledger.isReady().catch(() => false);
    const providersReady = providers.isReady();
    return {
      ready: ledgerReady && providersReady,
      ledger: ledgerReady ? 'ok' : 'unavailable',
      providers: providersReady ? 'ok' : 'starting',
      ...(redis ? { redis: await redis.check() } : {}),
    };
  };
}

/** GET /healthz, GET /readyz and (when metrics are on) GET /metrics. */
export function mountHealthRoutes(
  app: Express,
  readiness: () => Promise<Readiness>,
  metricsHandler: RequestHandler | null,
): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const { ready, ...parts } = await readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...parts });
  });
  // Scraped inside the cluster, without a credential (counts and timings only); the Host check in front applies.
  if (metricsHandler) app.get(METRICS_PATH, metricsHandler);
}
