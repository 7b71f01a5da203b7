import { SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Runs `work` in a new active span (so the spans it causes are its children): the span is marked as an error when
 * `work` throws, and ended either way.
 */
export function inActiveSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      span.end();
    }
  });
}
