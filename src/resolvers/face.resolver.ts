import { Authorized, Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { faceId, tryDecodeGlobalId } from '../domain/global-id';
import type { FaceRecord } from '../domain/model';
import { ImageCropEnum } from '../schema/enums';
import { FaceType } from '../schema/face.type';
import { MAX_SIDE_RANGE } from '../services/face-images.service';
import { FaceFilterInput, ImageInput, RegisterFaceInput, UpdateFaceInput } from '../schema/inputs';
import { LibraryType } from '../schema/library.type';
import { PersonType } from '../schema/person.type';
import { DeleteFacesResult, RegisterFaceResult, SearchFacesResult, UpdateFaceResult } from '../schema/result.types';
import { userInputError } from './connection';
import type { RequestContext } from './context';
import { visible } from './visibility';
import { auditedResult } from './audited-operation';
import { toErrorMember } from './error-member';

@Resolver(() => FaceType)
export class FaceResolver {
  @Authorized('read')
  @Query(() => FaceType, { nullable: true })
  face(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return loadFace(ctx, id, 'id');
  }

  @FieldResolver(() => ID)
  id(@Root() face: FaceRecord): string {
    return faceId(face.providerId, face.libraryName, face.vendorFaceId);
  }

  @FieldResolver(() => LibraryType)
  library(@Root() face: FaceRecord, @Ctx() ctx: RequestContext) {
    return ctx.loaders.libraryByRowId.load(face.libraryRowId);
  }

  @FieldResolver(() => PersonType, { nullable: true })
  person(@Root() face: FaceRecord, @Ctx() ctx: RequestContext) {
    return face.personRowId === null ? null : ctx.loaders.personByRowId.load(face.personRowId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'A URL on this server, signed and valid for images.urlTtlSeconds, to a JPEG or WebP (by Accept) whose longer ' +
      'side is at most maxSide (16-1024, never enlarged); crop FACE cuts to the bounding box with a margin. Null ' +
      'where no image is kept (see images.keep in the README).',
  })
  async imageUrl(
    @Root() face: FaceRecord,
    @Ctx() ctx: RequestContext,
    @Arg('maxSide', () => Int, { nullable: true, defaultValue: 256 }) maxSideArg: number | null,
    @Arg('crop', () => ImageCropEnum, { nullable: true, defaultValue: ImageCropEnum.NONE }) crop: ImageCropEnum | null,
  ): Promise<string | null> {
    const maxSide = maxSideArg ?? 256;
    if (!Number.isInteger(maxSide) || maxSide < MAX_SIDE_RANGE.min || maxSide > MAX_SIDE_RANGE.max) {
      const range = `${MAX_SIDE_RANGE.min} to ${MAX_SIDE_RANGE.max}`;
      throw userInputError(`'maxSide' must be from ${range} pixels; got ${maxSide}.`, 'maxSide');
    }
    const images = ctx.services.faceImages;
    if (!(await images.hasImage(face, (digest) => ctx.loaders.keptImage.load(digest)))) return null;
    return images.imageUrl(face, maxSide, crop ?? ImageCropEnum.NONE, ctx.origin);
  }

  @Authorized('search')
  @Query(() => SearchFacesResult.union)
  searchFaces(
    @Arg('libraryId', () => ID) libraryId: string,
    @Arg('image', () => ImageInput) image: ImageInput,
    @Ctx() ctx: RequestContext,
    @Arg('topN', () => Int, { nullable: true, defaultValue: 5 }) topN: number | null,
    @Arg('threshold', () => Float, { nullable: true, defaultValue: 0.6 }) threshold: number | null,
  ) {
    return auditedResult(
      ctx,
      { operation: 'searchFaces', targetIds: [libraryId] },
      SearchFacesResult,
      'SearchFacesSuccess',
      () => ctx.services.faces.searchFaces({ libraryId, image, topN, threshold }),
    );
  }

  @Authorized('write')
  @Mutation(() => RegisterFaceResult.union)
  registerFace(@Arg('input', () => RegisterFaceInput) input: RegisterFaceInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'registerFace', targetIds: [input.libraryId, input.personId] },
      RegisterFaceResult,
      'RegisterFaceSuccess',
      () => ctx.services.faces.registerFace(input),
    );
  }

  @Authorized('write')
  @Mutation(() => UpdateFaceResult.union)
  updateFace(@Arg('input', () => UpdateFaceInput) input: UpdateFaceInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'updateFace', targetIds: [input.faceId] },
      UpdateFaceResult,
      'UpdateFaceSuccess',
      async () => ({ face: await ctx.services.faces.updateFace(input) }),
    );
  }

  @Authorized('write')
  @Mutation(() => DeleteFacesResult.union)
  deleteFaces(
    @Arg('libraryId', () => ID) libraryId: string,
    @Arg('filter', () => FaceFilterInput) filter: FaceFilterInput,
    @Ctx() ctx: RequestContext,
    @Arg('dryRun', () => Boolean, { nullable: true, defaultValue: false }) dryRun: boolean | null,
  ) {
    const targetIds = [libraryId, filter.personId, ...(filter.faceIds ?? [])];
    return auditedResult(
      ctx,
      { operation: 'deleteFaces', targetIds },
      DeleteFacesResult,
      'DeleteFacesSuccess',
      async () => {
        const outcome = await ctx.services.faceDeletion.deleteFaces(libraryId, filter, dryRun ?? false);
        const ids = (faces: FaceRecord[]) => faces.map((f) => faceId(f.providerId, f.libraryName, f.vendorFaceId));
        return {
          dryRun: outcome.dryRun,
          matchedCount: outcome.matched.length,
          matchedFaceIds: ids(outcome.matched),
          deletedCount: outcome.deleted.length,
          deletedFaceIds: ids(outcome.deleted),
          failures: outcome.failures.map((f) => ({ faceId: f.faceId, error: toErrorMember(f.error) })),
          plan: outcome.plan,
          vendorDeletedCount: outcome.vendorDeletedCount,
        };
      },
    );
  }
}

export async function loadFace(ctx: RequestContext, rawId: string, argumentName: string): Promise<FaceRecord | null> {
  const id = tryDecodeGlobalId(rawId);
  if (!id || id.type !== 'Face') throw userInputError(`'${argumentName}' is not a Face ID.`, argumentName);
  const library = visible(ctx, await ctx.loaders.libraryByKey.load({ providerId: id.providerId, name: id.library }));
  return library && ctx.loaders.faceByKey.load({ libraryRowId: library.rowId, vendorFaceId: id.face });
}
