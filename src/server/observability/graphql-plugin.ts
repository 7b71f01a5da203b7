import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  defaultFieldResolver,
  getNamedType,
  isAbstractType,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { CACHE_HEADER } from '../response-cache';
import { rootFieldsOf, type RootField } from '../root-fields';
import type { CacheOutcome, FacegraphMetrics } from './metrics';

// Counts and times GraphQL requests by root field and outcome, records what the response cache did, and names the
// server span after the operation. Labels and span attributes come from the schema, never from the request text:
// an operation name or an alias is the client's choice, a field name must exist in our schema.

export const NO_ROOT_FIELD = '(none)';
const NONE = NO_ROOT_FIELD;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const CACHE_OUTCOMES = new Set<string>(['hit', 'miss', 'bypass']);

export function observabilityPlugin<TContext extends object>(
  metrics: FacegraphMetrics | null,
): ApolloServerPlugin<TContext> {
  /** Each request's outcome per root field (by response key), set while executing; a cached answer never executes. */
  const outcomesOf = new WeakMap<object, Map<string, string>>();
  return {
    async serverWillStart({ schema }) {
      recordRootFieldOutcomes(schema, outcomesOf);
    },
    async requestDidStart({ schema, contextValue }) {
      const started = process.hrtime.bigint();
      const span = trace.getActiveSpan();
      let type = NONE;
      let rootFields: RootField[] = [];
      const outcomes = new Map<string, string>();
      outcomesOf.set(contextValue, outcomes);
      return {
        async didResolveOperation(ctx) {
          const operation = ctx.operation as OperationDefinitionNode | undefined;
          if (!operation) return;
          type = operation.operation;
          rootFields = rootFieldsOf(operation, ctx.document, schema);
          nameServerSpan(
            type,
            rootFields.map((f) => f.name),
            span,
          );
        },
        async willSendResponse(ctx: GraphQLRequestContextWillSendResponse<TContext>) {
          const body = ctx.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
          for (const error of errors) {
            const key = error.path?.[0];
            if (typeof key === 'string' && (outcomes.get(key) ?? 'ok') === 'ok') outcomes.set(key, codeOf(error));
          }
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const cache = ctx.response.http.headers.get(CACHE_HEADER);
          if (metrics && cache && CACHE_OUTCOMES.has(cache)) metrics.responseCacheUsed(cache as CacheOutcome);
          if (rootFields.length === 0) {
            const outcome = errors.length ? codeOf(errors[0]) : 'ok';
            metrics?.graphqlFieldEnded(type, NONE, outcome, seconds);
            if (errors.length) span?.setStatus({ code: SpanStatusCode.ERROR });
            return;
          }
          for (const field of rootFields) {
            metrics?.graphqlFieldEnded(type, field.name, outcomes.get(field.responseKey) ?? 'ok', seconds);
          }
          if (errors.length) span?.setStatus({ code: SpanStatusCode.ERROR });
        },
      };
    },
  };
}

/** Names the active server span after the operation's type and root fields. */
export function nameServerSpan(type: string, rootFields: readonly string[], span = trace.getActiveSpan()): void {
  if (!span) return;
  const names = [...new Set(rootFields)].sort();
  span.updateName(`graphql ${type} ${names.join(',')}`);
  span.setAttributes({ 'graphql.operation.type': type, 'facegraph.graphql.root_fields': names });
}

/**
 * Wraps the resolvers of the root fields (once per schema) to note each one's outcome for the request's plugin.
 * Only root fields: Apollo's willResolveField would have wrapped every field of every type and called the plugin
 * for each value of the answer.
 */
function recordRootFieldOutcomes(schema: GraphQLSchema, outcomesOf: WeakMap<object, Map<string, string>>): void {
  if (wrappedSchemas.has(schema)) return;
  wrappedSchemas.add(schema);
  for (const rootType of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(rootType?.getFields() ?? {})) {
      const resolve = field.resolve ?? defaultFieldResolver;
      const returnType = getNamedType(field.type);
      field.resolve = (source, args, context, info) => {
        const outcomes = outcomesOf.get(context as object);
        if (!outcomes) return resolve(source, args, context, info);
        const key = String(info.path.key);
        const done = (error: unknown, result?: unknown) => {
          const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
          outcomes.set(key, error ? errorCode(code) : typenameOf(result, returnType, schema));
        };
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (e) {
          done(e);
          throw e;
        }
        whenFinished(result, done);
        return result;
      };
    }
  }
}

const wrappedSchemas = new WeakSet<GraphQLSchema>();

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** Calls done once the value is settled: a promise, or a list holding promises (as Apollo's instrumentation did). */
function whenFinished(value: unknown, done: (error: unknown, result?: unknown) => void): void {
  if (isPromise(value)) {
    value.then(
      (settled) => whenFinished(settled, done),
      (error: unknown) => done(error),
    );
  } else if (Array.isArray(value) && value.some(isPromise)) {
    Promise.all(value).then(
      (settled) => done(null, settled),
      (error: unknown) => done(error),
    );
  } else {
    done(null, value);
  }
}

/** A union or interface result's member typename (when the schema has it), else 'ok'. */
function typenameOf(result: unknown, returnType: ReturnType<typeof getNamedType>, schema: GraphQLSchema): string {
  if (!isAbstractType(returnType) || result === null || typeof result !== 'object') return 'ok';
  const typename = (result as { __typename?: unknown }).__typename;
  return typeof typename === 'string' && schema.getType(typename) ? typename : 'ok';
}

function codeOf(error: GraphQLFormattedError): string {
  return errorCode(error.extensions?.code);
}

function errorCode(code: unknown): string {
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}
