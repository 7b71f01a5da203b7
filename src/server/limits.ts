import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { RequestLimits } from './config';

// Limits on one request, checked before anything executes: a refused request runs no resolver.
// The document-only limits (depth, aliases, directives, cost of literal page sizes) are graphql-armor
// validation rules, so they run once per distinct document (Apollo caches validated documents).
// What needs the variables (page sizes given as variables, _entities batch sizes, expensive fields and
// image URLs) is checked per request in didResolveOperation.

/** Root fields that each run the face engine or a vendor call on an image. */
const EXPENSIVE_ROOT_FIELDS: readonly string[] = ['registerFace', 'searchFaces'];
/** The input type whose `url` makes the server download an image. */
const IMAGE_INPUT_TYPE = 'ImageInput';
const PAGE_SIZE_ARGUMENTS: readonly string[] = ['first', 'last'];

export interface OperationLimits {
  validationRules: ValidationRule[];
  /** graphql-js counts tokens while parsing and stops at the limit, before building a huge AST. */
  parseOptions: { maxTokens: number };
  plugin: ApolloServerPlugin<BaseContext>;
}

export function operationLimits(limits: RequestLimits): OperationLimits {
  const reject = (key: keyof RequestLimits, describe: (found: string) => string) => ({
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        // Armor's message ends with "found N."; the number is all we take from it.
        const found = /found (\S+?)\.?$/.exec(error.message)?.[1] ?? 'too many';
        const message = `${describe(found)}; at most ${limits[key]} ${allowed(key)}`;
        context?.reportError(limitError(key, limits[key], message));
      },
    ],
  });
  const armor = new ApolloArmor({
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      ...reject('maxDepth', (n) => `The operation is ${n} levels deep`),
    },
    maxAliases: { n: limits.maxAliases, ...reject('maxAliases', (n) => `The operation has ${n} aliases`) },
    maxDirectives: { n: limits.maxDirectives, ...reject('maxDirectives', (n) => `The operation has ${n} directives`) },
    costLimit: {
      maxCost: limits.maxCost,
      ...COST_WEIGHTS,
      flattenFragments: true,
      ...reject('maxCost', (n) => `The operation's estimated cost is ${Math.ceil(Number(n))}`),
    },
    // Tokens are counted by graphql-js's parser (parseOptions); suggestions are the server's business.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  return {
    validationRules: armor.protect().validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    plugin: requestLimitsPlugin(limits),
  };
}

/** Every value in the answer counts 1; a list's part is multiplied by its page size (armor's cost model). */
const COST_WEIGHTS = { objectCost: 1, scalarCost: 1, depthCostFactor: 1 };

function allowed(key: keyof RequestLimits): string {
  const perRequest = key === 'expensiveFieldsPerRequest' || key === 'imageUrlFetchesPerRequest' ? ' per request' : '';
  return `${key === 'maxCost' ? 'is' : 'are'} allowed${perRequest} (limits.${key})`;
}

function limitError(key: keyof RequestLimits, limit: number, message: string, status?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      ...(status ? { code: 'BAD_USER_INPUT', http: { status } } : {}),
      limit: `limits.${key}`,
      allowed: limit,
    },
  });
}

function requestLimitsPlugin(limits: RequestLimits): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          const refusal = checkOperation(request, limits);
          if (refusal) throw refusal;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) nameTokenLimit(error, limits.maxTokens);
        },
      };
    },
  };
}

/** graphql-js's own message ("Document contains more that N tokens") does not say which setting to change. */
function nameTokenLimit(error: GraphQLError, maxTokens: number): void {
  const tooManyTokens = /contains more th[ae]t? \d+ tokens/.test(error.message);
  if (error.extensions?.code !== 'GRAPHQL_PARSE_FAILED' || !tooManyTokens) return;
  error.message = `The operation has more than ${maxTokens} tokens; at most ${maxTokens} ${allowed('maxTokens')}`;
  Object.assign(error.extensions, { limit: 'limits.maxTokens', allowed: maxTokens });
}

function checkOperation(request: GraphQLRequestContext<BaseContext>, limits: RequestLimits): GraphQLError | undefined {
  const { schema, operation, document } = request;
  if (!operation || !document) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.request.variables ?? {}, {
    maxErrors: 1,
  });
  // Bad variables: execution refuses the whole operation with graphql-js's own error.
  if (coerced.errors) return undefined;
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const refuse = (key: keyof RequestLimits, message: string) =>
    limitError(key, limits[key], `${message}; at most ${limits[key]} ${allowed(key)}`, 400);

  const cost = estimateCost(schema, operation, fragments, variables);
  if (cost > limits.maxCost) {
    return refuse('maxCost', `The operation's estimated cost is ${Number.isFinite(cost) ? cost : 'unbounded'}`);
  }

  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const rootFields = collectRootFields(operation.selectionSet, fragments);
  const expensive = new Map<string, number>();
  let imageUrls = 0;
  for (const node of rootFields) {
    const name = node.name.value;
    if (EXPENSIVE_ROOT_FIELDS.includes(name)) expensive.set(name, (expensive.get(name) ?? 0) + 1);
    const field = rootType.getFields()[name];
    if (field && takesImages(field)) imageUrls += countImageUrls(field, node, variables);
  }
  const expensiveCount = [...expensive.values()].reduce((a, b) => a + b, 0);
  if (expensiveCount > limits.expensiveFieldsPerRequest) {
    const counts = [...expensive].map(([name, n]) => `${n} ${name}`).join(' and ');
    return refuse('expensiveFieldsPerRequest', `The operation has ${counts} fields`);
  }
  if (imageUrls > limits.imageUrlFetchesPerRequest) {
    return refuse('imageUrlFetchesPerRequest', `The operation has ${imageUrls} image URLs to fetch`);
  }
  return undefined;
}

/**
 * The root fields as execution runs them: one per response key (fields under one key merge), each
 * fragment once. @skip/@include are not applied, so the count is never lower than what runs.
 */
function collectRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  const byKey = new Map<string, FieldNode>();
  const visited = new Set<string>();
  const collect = (selections: SelectionSetNode) => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (!byKey.has(key)) byKey.set(key, selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(set);
  return [...byKey.values()];
}

/**
 * Armor's cost with the page sizes it cannot see in the document: `first`/`last` given as variables or
 * left to their defaults, and the number of representations in an `_entities` batch. A fragment's cost
 * does not depend on where it is spread, so each is computed once.
 */
function estimateCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  const fragmentCosts = new Map<string, number>();
  const selectionCost = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition && schema.getType(selection.typeCondition.name.value);
        total += selectionCost(selection.selectionSet, isCompositeType(condition) ? condition : parent);
      } else {
        const name = selection.name.value;
        let cost = fragmentCosts.get(name);
        if (cost === undefined) {
          fragmentCosts.set(name, 0); // validation has refused cycles; this only guards the recursion
          const fragment = fragments.get(name);
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          const type = isCompositeType(condition) ? condition : undefined;
          cost = fragment ? selectionCost(fragment.selectionSet, type) : 0;
          fragmentCosts.set(name, cost);
        }
        total += cost;
      }
    }
    return total;
  };
  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType | undefined): number => {
    if (!node.selectionSet) return COST_WEIGHTS.scalarCost;
    const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    const type = field && getNamedType(field.type);
    const children = selectionCost(node.selectionSet, isCompositeType(type) ? type : undefined);
    return (COST_WEIGHTS.objectCost + children) * (field ? listSize(field, node, variables) : 1);
  };
  return selectionCost(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
}

function listSize(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): number {
  if (field.name === '_entities') {
    const representations = argumentValue(field, node, 'representations', variables);
    return Array.isArray(representations) ? Math.max(1, representations.length) : 1;
  }
  for (const name of PAGE_SIZE_ARGUMENTS) {
    const size = argumentValue(field, node, name, variables);
    if (typeof size === 'number' && Number.isFinite(size)) return Math.max(0, size);
  }
  return 1;
}

function argumentValue(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  name: string,
  variables: Record<string, unknown>,
): unknown {
  const definition = field.args.find((arg) => arg.name === name);
  if (!definition) return undefined;
  const given = node.arguments?.find((arg) => arg.name.value === name);
  if (!given) return definition.defaultValue;
  return valueFromAST(given.value, definition.type, variables);
}

const imageTaking = new WeakMap<GraphQLField<unknown, unknown>, boolean>();

function takesImages(field: GraphQLField<unknown, unknown>): boolean {
  let takes = imageTaking.get(field);
  if (takes === undefined) {
    const seen = new Set<string>();
    const reaches = (type: GraphQLInputType): boolean => {
      const named = getNamedType(type);
      if (!isInputObjectType(named) || seen.has(named.name)) return false;
      seen.add(named.name);
      return named.name === IMAGE_INPUT_TYPE || Object.values(named.getFields()).some((f) => reaches(f.type));
    };
    takes = field.args.some((arg) => reaches(arg.type));
    imageTaking.set(field, takes);
  }
  return takes;
}

function countImageUrls(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): number {
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, variables);
  } catch {
    return 0; // invalid arguments: the field fails before its resolver runs
  }
  const count = (value: unknown, type: GraphQLInputType): number => {
    const nullable = getNullableType(type);
    if (value === null || value === undefined) return 0;
    if (isListType(nullable)) {
      return Array.isArray(value) ? value.reduce((n: number, v) => n + count(v, nullable.ofType), 0) : 0;
    }
    if (!isInputObjectType(nullable) || typeof value !== 'object') return 0;
    const record = value as Record<string, unknown>;
    if (nullable.name === IMAGE_INPUT_TYPE) return record.url !== null && record.url !== undefined ? 1 : 0;
    return Object.values(nullable.getFields()).reduce((n, f) => n + count(record[f.name], f.type), 0);
  };
  return field.args.reduce((n, arg) => n + count(args[arg.name], arg.type), 0);
}
