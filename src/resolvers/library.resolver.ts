import type { GraphQLResolveInfo } from 'graphql';
import {
  Authorized,
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { tryDecodeGlobalId, libraryId } from '../domain/global-id';
import type { LibraryRecord } from '../domain/model';
import { ConnectionArgs, FaceConnection, LibraryConnection, PersonConnection } from '../schema/connection.types';
import { CreateLibraryInput, FaceFilterInput } from '../schema/inputs';
import { LibraryType } from '../schema/library.type';
import { ProviderType } from '../schema/provider.type';
import { TrainingStatusEnum } from '../schema/enums';
import {
  CreateLibraryResult,
  DeleteLibraryResult,
  SyncLibraryResult,
  TrainLibraryResult,
} from '../schema/result.types';
import { trainingStatusOf, type TrainingStatus } from '../services/training';
import { resolveFaceFilter } from '../services/face-filter';
import { pageArgs, toConnection, userInputError, wantsTotal } from './connection';
import type { RequestContext } from './context';
import { findVisibleProvider, visible } from './visibility';
import { auditedResult } from './audited-operation';
import { orGraphQLError } from './error-member';

@Resolver(() => LibraryType)
export class LibraryResolver {
  @Authorized('read')
  @Query(() => LibraryConnection)
  async libraries(
    @Ctx() ctx: RequestContext,
    @Arg('providerId', () => ID, { nullable: true }) providerId: string | null | undefined,
    @Args() paging: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    if (providerId != null && !findVisibleProvider(ctx, providerId)) {
      throw userInputError(
        `There is no provider '${providerId}'; query providers { id } for the configured ones.`,
        'providerId',
      );
    }
    const page = pageArgs(paging, info);
    const options = { withTotal: wantsTotal(info) };
    const limit = ctx.caller.access.providers;
    const providerIds = providerId != null ? [providerId] : limit ? [...limit] : null;
    return toConnection(await ctx.services.ledger.listLibraries(providerIds, page, options));
  }

  @Authorized('read')
  @Query(() => LibraryType, { nullable: true })
  library(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return loadLibrary(ctx, id, 'id');
  }

  @FieldResolver(() => ID)
  id(@Root() library: LibraryRecord): string {
    return libraryId(library.providerId, library.name);
  }

  @FieldResolver(() => ProviderType)
  provider(@Root() library: LibraryRecord, @Ctx() ctx: RequestContext) {
    return ctx.services.providers.get(library.providerId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The vendor's kind of collection, where it has several (Azure: PersonGroup or LargePersonGroup).",
  })
  kind(@Root() library: LibraryRecord): string | null {
    return typeof library.vendorMeta.kind === 'string' ? library.vendorMeta.kind : null;
  }

  @FieldResolver(() => TrainingStatusEnum)
  trainingStatus(@Root() library: LibraryRecord, @Ctx() ctx: RequestContext): TrainingStatus {
    return trainingStatusOf(library, ctx.services.providers.get(library.providerId));
  }

  @FieldResolver(() => Int)
  async faceCount(@Root() library: LibraryRecord, @Ctx() ctx: RequestContext): Promise<number> {
    return (await ctx.loaders.libraryCounts.load(library.rowId)).faceCount;
  }

  @FieldResolver(() => Int)
  async personCount(@Root() library: LibraryRecord, @Ctx() ctx: RequestContext): Promise<number> {
    return (await ctx.loaders.libraryCounts.load(library.rowId)).personCount;
  }

  @FieldResolver(() => PersonConnection)
  async persons(
    @Root() library: LibraryRecord,
    @Ctx() ctx: RequestContext,
    @Args() paging: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    const key = { parentRowId: library.rowId, page: pageArgs(paging, info), withTotal: wantsTotal(info) };
    return toConnection(await ctx.loaders.personsOfLibrary.load(key));
  }

  @FieldResolver(() => FaceConnection)
  async faces(
    @Root() library: LibraryRecord,
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => FaceFilterInput, { nullable: true }) filter: FaceFilterInput | null | undefined,
    @Args() paging: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = pageArgs(paging, info);
    const resolved = filter
      ? await orGraphQLError(() => resolveFaceFilter(ctx.services.ledger, library, filter, { allowEmpty: true }))
      : null;
    const key = { parentRowId: library.rowId, page, filter: resolved?.filter ?? {}, withTotal: wantsTotal(info) };
    return toConnection(await ctx.loaders.facesOfLibrary.load(key));
  }

  @Authorized('admin')
  @Mutation(() => CreateLibraryResult.union)
  createLibrary(@Arg('input', () => CreateLibraryInput) input: CreateLibraryInput, @Ctx() ctx: RequestContext) {
    const spec = { operation: 'createLibrary', targetIds: [], providerId: input.providerId };
    return auditedResult(ctx, spec, CreateLibraryResult, 'CreateLibrarySuccess', async () => ({
      library: await ctx.services.libraries.createLibrary(input),
    }));
  }

  @Authorized('admin')
  @Mutation(() => DeleteLibraryResult.union)
  deleteLibrary(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'deleteLibrary', targetIds: [id] },
      DeleteLibraryResult,
      'DeleteLibrarySuccess',
      () => ctx.services.libraries.deleteLibrary(id),
    );
  }

  @Authorized('admin')
  @Mutation(() => TrainLibraryResult.union, {
    description: 'Trains the library where the provider needs it (AZURE_FACE) and waits for the outcome.',
  })
  trainLibrary(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'trainLibrary', targetIds: [id] },
      TrainLibraryResult,
      'TrainLibrarySuccess',
      async () => ({ library: await ctx.services.libraries.trainLibrary(id) }),
    );
  }

  @Authorized('write')
  @Mutation(() => SyncLibraryResult.union)
  syncLibrary(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'syncLibrary', targetIds: [id] },
      SyncLibraryResult,
      'SyncLibrarySuccess',
      () => ctx.services.sync.syncLibrary(id),
    );
  }
}

/** library(id): malformed -> GraphQL user error, unknown -> null. */
export async function loadLibrary(
  ctx: RequestContext,
  rawId: string,
  argumentName: string,
): Promise<LibraryRecord | null> {
  const id = tryDecodeGlobalId(rawId);
  if (!id || id.type !== 'Library') throw userInputError(`'${argumentName}' is not a Library ID.`, argumentName);
  return visible(ctx, await ctx.loaders.libraryByKey.load({ providerId: id.providerId, name: id.library }));
}
