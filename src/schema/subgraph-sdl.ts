import { graphqlSync, type GraphQLSchema } from 'graphql';

/** The SDL this subgraph publishes: exactly what `_service { sdl }` serves, as committed in schema.graphql. */
export function subgraphSdl(schema: GraphQLSchema): string {
  const result = graphqlSync({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data as { _service?: { sdl?: string } } | null)?._service?.sdl;
  if (!sdl) throw new Error(`cannot read _service.sdl: ${JSON.stringify(result.errors)}`);
  return `${sdl.trim()}\n`;
}
