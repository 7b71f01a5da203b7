import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { mayUseProvider } from '../domain/access';
import { tryDecodeGlobalId } from '../domain/global-id';
import { FaceEventType } from '../schema/face-event.type';
import type { FaceEvent } from '../services';
import type { RequestContext } from './context';
import { createLoaders } from './loaders';

@Resolver()
export class FaceEventsResolver {
  @Authorized('read')
  @Subscription(() => FaceEventType, {
    description:
      'Face changes after their commit, in commit order; libraryId: of that library only. graphql-ws at /graphql.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { libraryId?: string | null }, RequestContext>) =>
      faceEventStream(context, args.libraryId ?? null),
  })
  faceEvents(
    @Root() event: FaceEvent,
    @Ctx() ctx: RequestContext,
    @Arg('libraryId', () => ID, { nullable: true }) _libraryId?: string | null,
  ): FaceEvent {
    // A subscription lasts long: each event is resolved with new DataLoaders, so no event sees what an earlier one
    // cached (events are resolved one at a time per subscription).
    ctx.loaders = createLoaders(ctx.services.ledger);
    return event;
  }
}

/** The caller's events: of the providers its credential may use, and of one library when given. */
function faceEventStream(ctx: RequestContext, libraryId: string | null): AsyncIterableIterator<FaceEvent> {
  const { access } = ctx.caller;
  if (!access.scopes.has('read')) {
    throw new GraphQLError('faceEvents needs the read scope.', { extensions: { code: 'FORBIDDEN' } });
  }
  if (libraryId !== null) {
    const id = tryDecodeGlobalId(libraryId);
    if (id?.type !== 'Library') {
      throw new GraphQLError('libraryId is not a library id.', {
        extensions: { code: 'BAD_USER_INPUT', field: 'libraryId' },
      });
    }
    if (!mayUseProvider(access, id.providerId)) {
      // As for any id of a provider the credential may not use: not found, rather than "forbidden".
      throw new GraphQLError(`No library with id ${libraryId}.`, {
        extensions: { code: 'NOT_FOUND', field: 'libraryId' },
      });
    }
  }
  return ctx.services.faceEvents.subscribe(
    (event) => mayUseProvider(access, event.providerId) && (libraryId === null || event.libraryId === libraryId),
  );
}
