import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TransportError, type HttpRequest, type HttpResponse, type TransportObserver } from './transport';

// Vendor calls under client spans, reported to the transport's observer (transport.ts: the server injects one, so
// this layer never imports from src/server). Spans go to @opentelemetry/api's global tracer (a no-op until configured).

// Looked up per call: a tracer taken at load time would stay bound to the first provider ever registered.
const tracer = () => trace.getTracer('facegraph.vendor-transport');

/** Runs one vendor call under a client span and reports it; nothing of the URL, headers or body is recorded. */
export async function observeVendorCall(
  providerId: string,
  observer: TransportObserver | undefined,
  req: HttpRequest,
  send: () => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const started = process.hrtime.bigint();
  const span = tracer().startSpan(`vendor ${req.operation}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'facegraph.provider.id': providerId,
      'facegraph.vendor.operation': req.operation,
      'http.request.method': req.method,
    },
  });
  const ended = (status: string) => {
    observer?.vendorCallEnded(providerId, req.operation, status, Number(process.hrtime.bigint() - started) / 1e9);
    span.end();
  };
  try {
    const response = await send();
    span.setAttributes({
      'http.response.status_code': response.status,
      'facegraph.vendor.attempts': response.attempts,
    });
    if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    ended(String(response.status));
    return response;
  } catch (e) {
    // A TransportError's kind, not its message: messages are for people and may grow details.
    const failure = e instanceof TransportError ? e.failure : 'ERROR';
    span.setAttribute('facegraph.vendor.failure', failure);
    span.setStatus({ code: SpanStatusCode.ERROR });
    ended(failure);
    throw e;
  }
}
