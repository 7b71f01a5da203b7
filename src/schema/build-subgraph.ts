import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type AuthChecker, type NonEmptyArray } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from './scalars';

const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])`;

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
    orphanedTypes: [],
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolverMap = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, reference] of Object.entries(references)) resolverMap[type] = { ...resolverMap[type], ...reference };
  resolverMap.JSON = JSONScalar as unknown as Record<string, unknown>;
  return buildSubgraphSchema({ typeDefs, resolvers: resolverMap as any });
}
