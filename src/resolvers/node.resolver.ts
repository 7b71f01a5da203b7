import { Authorized, Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { tryDecodeGlobalId } from '../domain/global-id';
import { NodeInterface } from '../schema/node.interface';
import { userInputError } from './connection';
import type { RequestContext } from './context';
import { loadFace } from './face.resolver';
import { loadLibrary } from './library.resolver';
import { loadPerson } from './person.resolver';

@Resolver()
export class NodeResolver {
  @Authorized('read')
  @Query(() => NodeInterface, { nullable: true })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const decoded = tryDecodeGlobalId(id);
    if (!decoded) throw userInputError(`'id' is not a facegraph ID.`, 'id');
    const record =
      decoded.type === 'Library'
        ? await loadLibrary(ctx, id, 'id')
        : decoded.type === 'Person'
          ? await loadPerson(ctx, id, 'id')
          : await loadFace(ctx, id, 'id');
    return record && { ...record, __typename: decoded.type };
  }
}
