import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLError, parse, type GraphQLSchema } from 'graphql';
import {
  buildSchema,
  createResolversMap,
  getMetadataStorage,
  type AuthChecker,
  type NonEmptyArray,
} from 'type-graphql';
import { callPlainFieldResolversDirectly } from './direct-field-resolvers';
import { DateTimeScalar, JSONScalar } from './scalars';
import { resolveByTypename } from './typename';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';

const NO_TOPIC_PUBSUB = {
  publish(): never {
    throw new Error('no topic pub/sub: subscriptions declare their own subscribe function');
  },
  subscribe(): never {
    throw new Error('no topic pub/sub: subscriptions declare their own subscribe function');
  },
};

type ReferenceResolvers = Record<string, { __resolveReference: (ref: { id: string }, ctx: any) => unknown }>;

/**
 * type-graphql builds the schema from the classes; it is printed with its directives (printSubgraphSchema
 * would lose the fields of type-graphql types), linked to Federation 2, and rebuilt as a subgraph whose
 * resolvers are type-graphql's plus the entity reference resolvers.
 */
export async function buildSubgraph(
  resolvers: NonEmptyArray<Function>,
  references: ReferenceResolvers,
  authChecker: AuthChecker<any, any>,
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // type-graphql asks for one as soon as there is a subscription; ours has its own `subscribe` and needs none.
    pubSub: NO_TOPIC_PUBSUB,
    orphanedTypes: [],
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolverMap = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  dropPlainFieldResolvers(resolverMap);
  callPlainFieldResolversDirectly(resolverMap);
  for (const [type, reference] of Object.entries(references))
    resolverMap[type] = { ...resolverMap[type], ...reference };
  resolverMap.JSON = JSONScalar as unknown as Record<string, unknown>;
  // type-graphql wraps each resolveType in an async function: a promise per value of a union or interface, which
  // graphql-jit does not wait for (src/server/compiled-execution.ts). Those resolved by __typename get it directly.
  const storage = getMetadataStorage();
  for (const abstract of [...storage.unions, ...storage.interfaceTypes]) {
    const resolvers = resolverMap[abstract.name];
    if (abstract.resolveType === resolveByTypename && resolvers) resolvers.__resolveType = resolveByTypename;
  }
  const subgraph = buildSubgraphSchema({ typeDefs, resolvers: resolverMap as any });
  refuseUnknownEntityTypes(subgraph, Object.keys(references));
  return subgraph;
}

/**
 * A representation naming a type this subgraph has no entity of is the client's mistake: answer it as one
 * (BAD_USER_INPUT, naming the types there are) rather than let @apollo/subgraph's plain Error become a logged
 * internal error.
 */
function refuseUnknownEntityTypes(schema: GraphQLSchema, entityTypes: string[]): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return;
  const known = new Set(entityTypes);
  field.resolve = (source, args, context, info) => {
    const representations = (args as { representations?: { __typename?: unknown }[] }).representations ?? [];
    representations.forEach((representation, i) => {
      if (typeof representation?.__typename === 'string' && known.has(representation.__typename)) return;
      throw new GraphQLError(
        `representations[${i}] names no entity of this subgraph; __typename must be one of ${entityTypes.join(', ')}.`,
        { extensions: { code: 'BAD_USER_INPUT' } },
      );
    });
    return resolve(source, args, context, info);
  };
}

/**
 * type-graphql gives every plain @Field a resolver of its own that reads the property through a middleware chain
 * (empty here: no global middlewares, no @Authorized or @UseMiddleware on such a field): for a page of 50 faces
 * that is hundreds of calls per answer for what graphql's default resolver does by reading the property. Such
 * fields lose that resolver; a field with a @FieldResolver, roles, middlewares or another name in the schema keeps it.
 */
function dropPlainFieldResolvers(resolverMap: Record<string, Record<string, unknown>>): void {
  const storage = getMetadataStorage();
  const hasFieldResolver = (field: { target: Function; name: string }) =>
    storage.fieldResolvers.some((r) => r.getObjectType?.() === field.target && r.methodName === field.name);
  for (const objectType of storage.objectTypes) {
    const resolvers = resolverMap[objectType.name];
    if (!resolvers) continue;
    const interfaces = storage.interfaceTypes.filter((i) => objectType.interfaceClasses?.includes(i.target));
    const fields = [...interfaces.flatMap((i) => i.fields ?? []), ...(objectType.fields ?? [])];
    const kept = new Set<string>();
    for (const field of fields) {
      const plain =
        field.name === field.schemaName &&
        !field.roles?.length &&
        !field.middlewares?.length &&
        !hasFieldResolver(field);
      if (!plain) kept.add(field.schemaName);
    }
    for (const field of fields) if (!kept.has(field.schemaName)) delete resolvers[field.schemaName];
  }
}
