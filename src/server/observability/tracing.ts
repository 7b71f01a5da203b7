import {
  context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { NodeTracerConfig } from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from 'express';
import path from 'node:path';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { TracingConfig } from '../config';
import { inActiveSpan } from './spans';

// OpenTelemetry traces, off unless tracing.enabled. When on, this module registers the global tracer provider,
// context manager and W3C propagator, so that the datasources' spans (through @opentelemetry/api) land in the
// trace of the request that caused them, and a router's `traceparent` is continued.

/** The OTLP exporter is not a dependency of facegraph: a deployment that exports over OTLP installs it. */
export const OTLP_EXPORTER_PACKAGE = '@opentelemetry/exporter-trace-otlp-http';

/** Resolvers that do I/O (vendors, the face engine) get a span of their own. */
const TRACED_QUERY_FIELDS = new Set(['searchFaces']);

export class Tracing {
  readonly tracer: Tracer;

  private constructor(
    private readonly provider: NodeTracerProvider,
    /** Set with `exporter: memory` (tests): the spans ended so far. */
    readonly memoryExporter: InMemorySpanExporter | null,
  ) {
    this.tracer = provider.getTracer('facegraph');
  }

  static async start(config: TracingConfig): Promise<Tracing> {
    const memory = config.exporter === 'memory' ? new InMemorySpanExporter() : null;
    const exporter: SpanExporter = memory ?? (await createExporter(config));
    // Spans kept in memory are for tests, which read them as soon as a request has been answered.
    const processor: SpanProcessor = memory ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
    const provider = new NodeTracerProvider({
      resource: serviceResource(config.serviceName),
      spanProcessors: [processor],
    });
    provider.register();
    return new Tracing(provider, memory);
  }

  /**
   * For the GraphQL route: `start` opens the server span (a child of the incoming `traceparent`, if any) before
   * authentication; `resume` re-enters its context right before Apollo, since the body parser's stream events
   * run outside it.
   */
  serverSpan(route: string): { start: RequestHandler; resume: RequestHandler } {
    const contexts = new WeakMap<object, Context>();
    const start: RequestHandler = (req, res, next) => {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const span = this.tracer.startSpan(
        `${req.method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } },
        parent,
      );
      const active = trace.setSpan(parent, span);
      contexts.set(req, active);
      res.once('close', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      context.with(active, next);
    };
    const resume: RequestHandler = (req, _res, next) => {
      const active = contexts.get(req);
      if (active) context.with(active, next);
      else next();
    };
    return { start, resume };
  }

  /** Wraps the resolvers of every mutation and of searchFaces in a span (before Apollo wraps them in turn). */
  traceIoResolvers(schema: GraphQLSchema): void {
    const traced = [
      ...Object.values(schema.getMutationType()?.getFields() ?? {}),
      ...Object.values(schema.getQueryType()?.getFields() ?? {}).filter((f) => TRACED_QUERY_FIELDS.has(f.name)),
    ];
    for (const field of traced) {
      const parentType = field === schema.getMutationType()?.getFields()[field.name] ? 'Mutation' : 'Query';
      field.resolve = this.tracedResolver(`${parentType}.${field.name}`, field.resolve ?? defaultFieldResolver);
    }
  }

  private tracedResolver(
    name: string,
    resolve: GraphQLFieldResolver<unknown, unknown>,
  ): GraphQLFieldResolver<unknown, unknown> {
    const tracer = this.tracer;
    return (source, args, ctx, info) =>
      inActiveSpan(tracer, name, { 'graphql.field.path': name }, async (span) => {
        const result = await resolve(source, args, ctx, info);
        const typename = (result as { __typename?: unknown } | null)?.__typename;
        if (typeof typename === 'string' && info.schema.getType(typename)) {
          span.setAttribute('facegraph.graphql.result_type', typename);
        }
        return result;
      });
  }

  /** Ends and exports what is pending, then unregisters the globals (a later app in the process may set its own). */
  async close(): Promise<void> {
    await this.provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

async function createExporter(config: TracingConfig): Promise<SpanExporter> {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  let otlp: { OTLPTraceExporter: new (options: { url: string }) => SpanExporter };
  try {
    otlp = (await import(OTLP_EXPORTER_PACKAGE)) as typeof otlp;
  } catch {
    throw new Error(
      `tracing.exporter is otlp, but ${OTLP_EXPORTER_PACKAGE} is not installed: ` +
        `install it (the release that matches @opentelemetry/sdk-trace-node 2), or set tracing.exporter to console.`,
    );
  }
  return new otlp.OTLPTraceExporter({ url: config.otlpUrl });
}

/**
 * The resource naming this service, made by the SDK's own copy of @opentelemetry/resources: the copy at the top of
 * node_modules is an older major that other packages need, and facegraph does not depend on the package directly.
 */
function serviceResource(serviceName: string): NonNullable<NodeTracerConfig['resource']> {
  const sdk = path.dirname(require.resolve('@opentelemetry/sdk-trace-base'));
  const resources = require(require.resolve('@opentelemetry/resources', { paths: [sdk] })) as {
    resourceFromAttributes(attributes: Record<string, string>): NonNullable<NodeTracerConfig['resource']>;
  };
  return resources.resourceFromAttributes({ 'service.name': serviceName });
}
