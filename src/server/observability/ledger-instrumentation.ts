import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { LedgerStore } from '../../datasources/ledger/ledger-store';
import type { FacegraphMetrics, LedgerPoolStats } from './metrics';

// A span and a count for every ledger method call, without touching the ledger implementations: the services get
// a proxy of the store. Only the method name is recorded, never arguments (they hold custom fields and
// descriptors) nor results.

/** Methods that answer from memory, or that the proxy must leave alone. */
const NOT_OBSERVED = new Set<PropertyKey>(['queryCount', 'constructor', 'then', 'poolStats']);

const LEDGER_SPAN = (method: string) => ({ attributes: { 'db.operation.name': method } });

interface MaybePooled {
  /** A pooled ledger (PostgreSQL) reports its pool here. */
  poolStats?(): LedgerPoolStats;
}

export function instrumentLedger(ledger: LedgerStore, metrics: FacegraphMetrics | null, tracing: boolean): LedgerStore {
  const pooled = ledger as LedgerStore & MaybePooled;
  metrics?.watchLedger({
    statements: () => ledger.queryCount(),
    pool: typeof pooled.poolStats === 'function' ? () => pooled.poolStats!() : undefined,
  });
  if (!metrics && !tracing) return ledger;
  const tracer = trace.getTracer('facegraph.ledger');
  const access = observe(ledger.access, 'access.', metrics, tracing ? tracer : null);
  const faceImages = observe(ledger.faceImages, 'faceImages.', metrics, tracing ? tracer : null);
  const store = observe(ledger, '', metrics, tracing ? tracer : null);
  return new Proxy(store, {
    get: (target, property, receiver) =>
      property === 'access' ? access : property === 'faceImages' ? faceImages : Reflect.get(target, property, receiver),
  });
}

function observe<T extends object>(
  target: T,
  prefix: string,
  metrics: FacegraphMetrics | null,
  tracer: Tracer | null,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string' || NOT_OBSERVED.has(property)) return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        const method = `${prefix}${property}`;
        wrapper = function observed(this: unknown, ...args: unknown[]) {
          return callObserved(
            method,
            () => (value as (...a: unknown[]) => unknown).apply(object, args),
            metrics,
            tracer,
          );
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function callObserved(method: string, call: () => unknown, metrics: FacegraphMetrics | null, tracer: Tracer | null) {
  // Only inside a traced request: readiness probes and the hourly audit pruning would each start a trace of one span.
  const span = tracer && trace.getActiveSpan() ? tracer.startSpan(`ledger ${method}`, LEDGER_SPAN(method)) : undefined;
  const ended = (ok: boolean) => {
    metrics?.ledgerCallEnded(method, ok);
    if (!ok) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end();
  };
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    ended(false);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        ended(true);
        return value;
      },
      (error: unknown) => {
        ended(false);
        throw error;
      },
    );
  }
  ended(true);
  return result;
}
