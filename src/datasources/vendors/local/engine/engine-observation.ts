import { SpanStatusCode, trace } from '@opentelemetry/api';

// What the face engine tells the server, for metrics: the server injects an observer, so the engine never imports
// from src/server. Spans go to @opentelemetry/api's global tracer (a no-op until configured).

export interface FaceEngineLoad {
  /** Images waiting for a free worker. */
  queued: number;
  /** Images being analysed. */
  running: number;
  workers: number;
}

export type FaceEngineJobOutcome = 'done' | 'failed' | 'refused_busy';

export interface FaceEngineObserver {
  /** Called once with a function the observer may call at any time (e.g. at each metrics scrape). */
  watchLoad(load: () => FaceEngineLoad): void;
  /** One detection ended; `seconds` includes the wait in the queue. */
  jobEnded(outcome: FaceEngineJobOutcome, seconds: number): void;
}

// Looked up per call: a tracer taken at load time would stay bound to the first provider ever registered.
const tracer = () => trace.getTracer('facegraph.face-engine');

/** Runs one detection under a span that says how long the queue was and how many faces were found. */
export function observeDetection<T extends unknown[]>(
  observer: FaceEngineObserver | undefined,
  queuedBefore: number,
  detect: () => Promise<T>,
): Promise<T> {
  const started = process.hrtime.bigint();
  const span = tracer().startSpan('face-engine detect', {
    attributes: { 'facegraph.engine.queued_before': queuedBefore },
  });
  const ended = (outcome: FaceEngineJobOutcome) => {
    observer?.jobEnded(outcome, Number(process.hrtime.bigint() - started) / 1e9);
    span.setAttribute('facegraph.engine.outcome', outcome);
    span.end();
  };
  return detect().then(
    (faces) => {
      span.setAttribute('facegraph.engine.faces', faces.length);
      ended('done');
      return faces;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      ended(isBusy(error) ? 'refused_busy' : 'failed');
      throw error;
    },
  );
}

function isBusy(error: unknown): boolean {
  const detail = (error as { detail?: { type?: unknown } } | null)?.detail;
  return detail?.type === 'RateLimitedError';
}
