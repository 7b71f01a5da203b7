import { FaceResolver } from './face.resolver';
import { LibraryResolver } from './library.resolver';
import { ModelChangesResolver } from './model-changes.resolver';
import { NodeResolver } from './node.resolver';
import { PersonResolver } from './person.resolver';
import { ProviderResolver } from './provider.resolver';

export const resolvers = [
  ProviderResolver,
  LibraryResolver,
  PersonResolver,
  FaceResolver,
  NodeResolver,
  ModelChangesResolver,
] as const;
export { createRequestContext, type RequestContext } from './context';
export { referenceResolvers } from './reference.resolvers';
