import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { TransportObserver } from '../../datasources/http';
import type { LedgerStore } from '../../datasources/ledger/ledger-store';
import type { FaceEngineObserver } from '../../datasources/vendors/local/engine/engine-observation';
import type { FacegraphConfig } from '../config';
import { NO_ROOT_FIELD, nameServerSpan, observabilityPlugin } from './graphql-plugin';
import { instrumentLedger } from './ledger-instrumentation';
import { FacegraphMetrics } from './metrics';
import { Tracing } from './tracing';

export { FacegraphMetrics } from './metrics';
export { Tracing, OTLP_EXPORTER_PACKAGE } from './tracing';

export const METRICS_PATH = '/metrics';

/** Metrics (config `metrics`) and traces (config `tracing`) of one app, and the hooks that feed them. */
export interface Observability {
  metrics: FacegraphMetrics | null;
  tracing: Tracing | null;
  /** For ApolloServer's plugins; null when metrics and tracing are both off. */
  plugin<TContext extends object>(): ApolloServerPlugin<TContext> | null;
  /** The store the services should use: every method call counted and traced. */
  instrumentLedger(ledger: LedgerStore): LedgerStore;
  vendorObservers: { transport?: TransportObserver; faceEngine?: FaceEngineObserver };
  /** GET /metrics in the Prometheus text format; null when metrics are off. */
  metricsHandler: RequestHandler | null;
  /** Counts (and names the span of) a request the response cache answered before the GraphQL pipeline. */
  answeredFromCache(rootFields: readonly string[], seconds: number): void;
  /** Around the GraphQL route: `start` first, `resume` right before Apollo (see Tracing.serverSpan). */
  graphqlRoute: { start: RequestHandler[]; resume: RequestHandler[] };
  /** The image route: `start` first (counts and times each answer by status, opens the server span). */
  imageRoute: ImageRouteObserver;
  close(): Promise<void>;
}

export interface ImageRouteObserver {
  start: RequestHandler[];
  /** A thumbnail was served: from the thumbnail cache, or rendered. */
  thumbnailServed(fromCache: boolean): void;
}

export async function startObservability(
  config: Pick<FacegraphConfig, 'metrics' | 'tracing'>,
  route: string,
  imageRoute: string,
): Promise<Observability> {
  const metrics = config.metrics.enabled ? new FacegraphMetrics() : null;
  const tracing = config.tracing.enabled ? await Tracing.start(config.tracing) : null;
  const serverSpan = tracing?.serverSpan(route);
  const imageSpan = tracing?.serverSpan(imageRoute);
  const imageTimer: RequestHandler | null = metrics
    ? (_req, res, next) => {
        const started = process.hrtime.bigint();
        // 'close' as well as 'finish': a client that hangs up mid-image is counted with the status it was given.
        res.once('close', () => {
          metrics.imageRequestEnded(res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
        });
        next();
      }
    : null;
  return {
    metrics,
    tracing,
    plugin: () => (metrics || tracing ? observabilityPlugin(metrics) : null),
    instrumentLedger: (ledger) => instrumentLedger(ledger, metrics, tracing !== null),
    vendorObservers: metrics ? { transport: metrics.transportObserver, faceEngine: metrics.faceEngineObserver } : {},
    metricsHandler: metrics
      ? async (_req, res, next) => {
          try {
            const text = await metrics.registry.metrics();
            res.set('content-type', metrics.registry.contentType).set('cache-control', 'no-store').send(text);
          } catch (e) {
            next(e);
          }
        }
      : null,
    answeredFromCache: (rootFields, seconds) => {
      metrics?.responseCacheUsed('hit');
      if (rootFields.length === 0) metrics?.graphqlFieldEnded('query', NO_ROOT_FIELD, 'ok', seconds);
      for (const field of rootFields) metrics?.graphqlFieldEnded('query', field, 'ok', seconds);
      if (tracing) nameServerSpan('query', rootFields);
    },
    graphqlRoute: { start: serverSpan ? [serverSpan.start] : [], resume: serverSpan ? [serverSpan.resume] : [] },
    imageRoute: {
      start: [...(imageTimer ? [imageTimer] : []), ...(imageSpan ? [imageSpan.start] : [])],
      thumbnailServed: (fromCache) => metrics?.thumbnailServed(fromCache),
    },
    close: async () => {
      await tracing?.close();
    },
  };
}
