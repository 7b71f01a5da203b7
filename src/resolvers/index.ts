import type { GraphQLSchema } from 'graphql';
import { buildSubgraph } from '../schema/build-subgraph';
import { AccessResolver } from './access.resolver';
import { FaceResolver } from './face.resolver';
import { FaceEventsResolver } from './face-events.resolver';
import { LibraryResolver } from './library.resolver';
import { ModelChangesResolver } from './model-changes.resolver';
import { NodeResolver } from './node.resolver';
import { PersonResolver } from './person.resolver';
import { ProviderResolver } from './provider.resolver';
import { referenceResolvers } from './reference.resolvers';
import { scopeChecker } from './scope-checker';

export const resolvers = [
  ProviderResolver,
  LibraryResolver,
  PersonResolver,
  FaceResolver,
  NodeResolver,
  ModelChangesResolver,
  AccessResolver,
  FaceEventsResolver,
] as const;

export { createRequestContext, type Caller, type RequestContext } from './context';
export { referenceResolvers, scopeChecker };

/** The served subgraph: every resolver, the entity references, and the scope checks of @Authorized. */
export function buildFacegraphSchema(): Promise<GraphQLSchema> {
  return buildSubgraph([...resolvers], referenceResolvers, scopeChecker);
}
