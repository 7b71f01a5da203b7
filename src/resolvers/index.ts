import { AccessResolver } from './access.resolver';
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
  AccessResolver,
] as const;
export { createRequestContext, type Caller, type RequestContext } from './context';
export { scopeChecker } from './scope-checker';
export { referenceResolvers } from './reference.resolvers';
