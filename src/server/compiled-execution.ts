import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import {
  BREAK,
  execute,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

// Execution through graphql-jit: each operation is compiled once into plain JavaScript (resolvers called directly,
// no per-field bookkeeping of graphql-js's interpreter), then run for every request that sends it again.
//
// Apollo Server has one supported way to execute other than graphql-js's `execute`: a gateway's executor. This
// "gateway" only hands Apollo our schema and that executor; parsing, validation (the limits included), every
// plugin hook and error formatting stay Apollo's. Whatever graphql-jit does not run is executed by graphql-js,
// so the answer is the same: an operation it cannot compile, an unresolved operation (Apollo reports it), a
// subscription, variables it refuses (graphql-js then answers with its own error; no resolver has run), and a
// variable inside the literal of a custom scalar (`fields: { dept: $v }`, JSON), which graphql-jit would drop.

/** Compiled operations of one parsed document (Apollo keeps a parsed document per distinct query text). */
type Compiled = Map<string, CompiledQuery | null>;

export function compiledExecution(schema: GraphQLSchema): GatewayInterface {
  const byDocument = new WeakMap<DocumentNode, Compiled>();

  const compiled = (document: DocumentNode, operationName: string | null): CompiledQuery | null => {
    let operations = byDocument.get(document);
    if (!operations) {
      operations = new Map();
      byDocument.set(document, operations);
    }
    const key = operationName ?? '';
    let query = operations.get(key);
    if (query === undefined) {
      const result = variablesInScalarLiterals(schema, document)
        ? null
        : compileQuery(schema, document, operationName ?? undefined);
      query = result && isCompiledQuery(result) ? result : null;
      operations.set(key, query);
    }
    return query;
  };

  const executor: GatewayExecutor = async (request) => {
    const { document, operation, operationName, context } = request;
    const variables = request.request.variables ?? {};
    if (operation && operation.operation !== 'subscription' && !tracesFields(context)) {
      const query = compiled(document, operationName);
      if (query) {
        const result = (await query.query(undefined, context, variables)) as ExecutionResult;
        // Without `data` nothing ran: the variables were refused, and graphql-js words that refusal.
        if ('data' in result) return result;
      }
    }
    return execute({
      schema,
      document,
      contextValue: context,
      variableValues: request.request.variables,
      operationName: request.request.operationName,
    });
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
}

/**
 * Whether a plugin listens to each field of this request (Apollo's inline trace, for a federation gateway that asks
 * for `ftv1`). Apollo then wraps the schema's resolvers and marks the context with a symbol of its own; a compiled
 * operation keeps calling the resolvers it was compiled with, so such a request is executed by graphql-js.
 */
function tracesFields(context: object): boolean {
  return Object.getOwnPropertySymbols(context).some((s) => s.description === FIELD_LISTENER_SYMBOL);
}

const FIELD_LISTENER_SYMBOL = 'apolloServerExecutionDispatcherWillResolveField';

/**
 * Whether a variable sits inside the literal of a scalar (`filter: { fields: { dept: $v } }`, where `fields` is
 * JSON): graphql-jit parses such literals once, without the variables, so `dept` would be lost.
 */
function variablesInScalarLiterals(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Variable(_node, _key, parent) {
        const definition = !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.VARIABLE_DEFINITION;
        if (definition || typeInfo.getInputType()) return undefined;
        found = true;
        return BREAK;
      },
    }),
  );
  return found;
}
