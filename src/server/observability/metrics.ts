import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TransportObserver } from '../../datasources/http';
import type { FaceEngineLoad, FaceEngineObserver } from '../../datasources/vendors/local/engine/engine-observation';

// The Prometheus metrics of one app, in a registry of its own (several apps may share a process in tests).
// Every label value comes from a bounded set: our schema's root field names and union typenames, error codes,
// provider ids and vendor operation names from the config and the code, HTTP status codes. Never user input.

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/** A connection pool's state; PostgreSQL reports it, SQLite (one connection) has none. */
export interface LedgerPoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface LedgerGauges {
  /** Statements run since the ledger was opened. */
  statements(): number;
  pool?(): LedgerPoolStats;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class FacegraphMetrics {
  readonly registry = new Registry();
  private readonly graphqlRequests: Counter<'type' | 'field' | 'outcome'>;
  private readonly graphqlDuration: Histogram<'type' | 'field'>;
  private readonly vendorCalls: Counter<'provider' | 'operation' | 'status'>;
  private readonly vendorDuration: Histogram<'provider' | 'operation'>;
  private readonly rateLimitWaits: Histogram<'provider'>;
  private readonly rateLimitRefusals: Counter;
  private readonly engineJobs: Counter<'outcome'>;
  private readonly engineJobDuration: Histogram<'outcome'>;
  private readonly responseCache: Counter<'outcome'>;
  private readonly ledgerCalls: Counter<'method' | 'outcome'>;
  private readonly imageRequests: Counter<'outcome'>;
  private readonly imageDuration: Histogram<'outcome'>;
  private readonly thumbnailCache: Counter<'outcome'>;
  private engineLoad: (() => FaceEngineLoad) | null = null;
  private ledger: LedgerGauges | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.graphqlRequests = new Counter({
      name: 'facegraph_graphql_operations_total',
      help:
        'Root fields executed, by operation type, field name and outcome: the result union typename for unions, ' +
        '"ok" or the error code otherwise (field "(none)" for requests refused before execution).',
      labelNames: ['type', 'field', 'outcome'],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: 'facegraph_graphql_operation_duration_seconds',
      help: 'Time of the whole GraphQL request, observed once for each root field it executed.',
      labelNames: ['type', 'field'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.vendorCalls = new Counter({
      name: 'facegraph_vendor_calls_total',
      help: 'Vendor calls (retries included in one call) by provider, operation and final HTTP status or failure.',
      labelNames: ['provider', 'operation', 'status'],
      registers,
    });
    this.vendorDuration = new Histogram({
      name: 'facegraph_vendor_call_duration_seconds',
      help: 'Time of a vendor call, rate-limit waits and retries included.',
      labelNames: ['provider', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rateLimitWaits = new Histogram({
      name: 'facegraph_vendor_rate_limit_wait_seconds',
      help: "Time an attempt waited for its provider's outbound rate limit.",
      labelNames: ['provider'],
      buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rateLimitRefusals = new Counter({
      name: 'facegraph_rate_limit_refusals_total',
      help: 'Requests refused with 429 because their credential (or address) was over limits.requestsPerMinute.',
      registers,
    });
    this.engineJobs = new Counter({
      name: 'facegraph_face_engine_jobs_total',
      help: 'LOCAL face engine detections by outcome (refused_busy: the queue was full).',
      labelNames: ['outcome'],
      registers,
    });
    this.engineJobDuration = new Histogram({
      name: 'facegraph_face_engine_job_duration_seconds',
      help: 'Time of a LOCAL face engine detection, queue wait included.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'facegraph_face_engine_queue_depth',
      help: 'Images waiting for a free LOCAL face engine worker.',
      registers,
      collect() {
        this.set(metrics.engineLoad?.().queued ?? 0);
      },
    });
    new Gauge({
      name: 'facegraph_face_engine_jobs_running',
      help: 'Images being analysed by LOCAL face engine workers.',
      registers,
      collect() {
        this.set(metrics.engineLoad?.().running ?? 0);
      },
    });
    this.responseCache = new Counter({
      name: 'facegraph_response_cache_requests_total',
      help: 'Cacheable read queries by what the response cache did: hit, miss or bypass (Cache-Control).',
      labelNames: ['outcome'],
      registers,
    });
    this.ledgerCalls = new Counter({
      name: 'facegraph_ledger_calls_total',
      help: 'Ledger method calls by method name and outcome (ok or error).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.imageRequests = new Counter({
      name: 'facegraph_image_requests_total',
      help: 'GETs of Face.imageUrl links by the HTTP status answered (200, 304, 403, 404, 429, 503, 500).',
      labelNames: ['outcome'],
      registers,
    });
    this.imageDuration = new Histogram({
      name: 'facegraph_image_request_duration_seconds',
      help: 'Time of a GET of a Face.imageUrl link, from the route to the last byte, by HTTP status.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.thumbnailCache = new Counter({
      name: 'facegraph_thumbnail_cache_requests_total',
      help: 'Thumbnails served on image links: hit (from images.thumbnailCacheBytes) or miss (rendered).',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'facegraph_ledger_statements',
      help: 'Statements run against the ledger database since it was opened.',
      registers,
      collect() {
        if (metrics.ledger) this.set(metrics.ledger.statements());
      },
    });
    new Gauge({
      name: 'facegraph_ledger_pool_connections',
      help: 'Ledger connection pool: total and idle connections, and callers waiting for one (PostgreSQL).',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = metrics.ledger?.pool?.();
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
  }

  graphqlFieldEnded(type: string, field: string, outcome: string, seconds: number): void {
    this.graphqlRequests.inc({ type, field, outcome });
    this.graphqlDuration.observe({ type, field }, seconds);
  }

  rateLimitRefused(): void {
    this.rateLimitRefusals.inc();
  }

  responseCacheUsed(outcome: CacheOutcome): void {
    this.responseCache.inc({ outcome });
  }

  imageRequestEnded(status: number, seconds: number): void {
    const outcome = String(status);
    this.imageRequests.inc({ outcome });
    this.imageDuration.observe({ outcome }, seconds);
  }

  thumbnailServed(fromCache: boolean): void {
    this.thumbnailCache.inc({ outcome: fromCache ? 'hit' : 'miss' });
  }

  ledgerCallEnded(method: string, ok: boolean): void {
    this.ledgerCalls.inc({ method, outcome: ok ? 'ok' : 'error' });
  }

  watchLedger(ledger: LedgerGauges): void {
    this.ledger = ledger;
  }

  readonly transportObserver: TransportObserver = {
    vendorCallEnded: (provider, operation, status, seconds) => {
      this.vendorCalls.inc({ provider, operation, status });
      this.vendorDuration.observe({ provider, operation }, seconds);
    },
    rateLimitWaited: (provider, seconds) => this.rateLimitWaits.observe({ provider }, seconds),
  };

  readonly faceEngineObserver: FaceEngineObserver = {
    watchLoad: (load) => {
      this.engineLoad = load;
    },
    jobEnded: (outcome, seconds) => {
      this.engineJobs.inc({ outcome });
      this.engineJobDuration.observe({ outcome }, seconds);
    },
  };
}
