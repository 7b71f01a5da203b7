import { tryDecodeGlobalId } from '../domain/global-id';
import type { RequestContext } from './context';
import { requireScope } from './scope-checker';
import { loadFace } from './face.resolver';
import { loadLibrary } from './library.resolver';
import { loadPerson } from './person.resolver';

// Federation entity lookups: `_entities` decodes the key and goes through the request's DataLoaders.
// An ID that is not ours, or of the wrong type, resolves to null like an unknown one.
const reference =
  (type: 'Library' | 'Person' | 'Face', load: (ctx: RequestContext, id: string, arg: string) => Promise<unknown>) =>
  (ref: { id: string }, ctx: RequestContext) => {
    requireScope(ctx, 'read', `Query._entities (${type})`);
    return tryDecodeGlobalId(ref.id)?.type === type ? load(ctx, ref.id, 'id') : null;
  };

export const referenceResolvers = {
  Library: { __resolveReference: reference('Library', loadLibrary) },
  Person: { __resolveReference: reference('Person', loadPerson) },
  Face: { __resolveReference: reference('Face', loadFace) },
};
