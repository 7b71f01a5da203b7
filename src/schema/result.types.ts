import { type ClassType, createUnionType, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { SupportEnum } from './enums';
import {
  AlreadyExistsError,
  ConflictError,
  ErrorInterface,
  ImageRejectedError,
  InvalidInputError,
  NotFoundError,
  QuotaExceededError,
  RateLimitedError,
  UnsupportedOperationError,
  VendorAuthError,
  VendorUnavailableError,
} from './error.types';
import { FaceType } from './face.type';
import { LibraryType } from './library.type';
import { resolveByTypename } from './typename';
import { PersonType } from './person.type';

@ObjectType('CreateLibrarySuccess')
export class CreateLibrarySuccess {
  @Field(() => LibraryType) library!: LibraryType;
}

@ObjectType('DeleteLibrarySuccess')
export class DeleteLibrarySuccess {
  @Field(() => ID) deletedId!: string;
  @Field(() => Int) deletedFaceCount!: number;
}

@ObjectType('CreatePersonSuccess')
export class CreatePersonSuccess {
  @Field(() => PersonType) person!: PersonType;
}

@ObjectType('RegisterFaceSuccess')
export class RegisterFaceSuccess {
  @Field(() => FaceType) face!: FaceType;
  @Field({ description: 'True when answered from an earlier call with the same idempotencyKey.' }) replayed!: boolean;
  @Field(() => Int, {
    nullable: true,
    description: 'How many faces the image showed, where the provider says (the registered one is the largest).',
  })
  detectedFaceCount?: number | null;
}

@ObjectType('UpdateFaceSuccess')
export class UpdateFaceSuccess {
  @Field(() => FaceType) face!: FaceType;
}

@ObjectType('FaceFailure')
export class FaceFailure {
  @Field(() => ID) faceId!: string;
  @Field(() => ErrorInterface) error!: ErrorInterface;
}

@ObjectType('DeletePlan')
export class DeletePlan {
  @Field(() => SupportEnum, {
    description:
      'As the capabilities say: by ids, capabilities.deleteFaces (one vendor call per face); ' +
      'by a filter, NATIVE is one vendor filter call and EMULATED one vendor call per face matched in the ledger.',
  })
  strategy!: SupportEnum;
  @Field(() => Int) vendorCalls!: number;
}

@ObjectType('DeleteFacesSuccess')
export class DeleteFacesSuccess {
  @Field() dryRun!: boolean;
  @Field(() => Int) matchedCount!: number;
  @Field(() => [ID], { description: 'The faces the filter matched (with dryRun: the faces that would be deleted).' })
  matchedFaceIds!: string[];
  @Field(() => Int) deletedCount!: number;
  @Field(() => [ID]) deletedFaceIds!: string[];
  @Field(() => [FaceFailure]) failures!: FaceFailure[];
  @Field(() => DeletePlan) plan!: DeletePlan;
  @Field(() => Int, {
    nullable: true,
    description:
      'How many faces the vendor says a NATIVE filter delete removed (null when it does not say). More than ' +
      'deletedCount: the vendor also removed faces the ledger did not know, added there by another client meanwhile.',
  })
  vendorDeletedCount!: number | null;
}

@ObjectType('SyncLibrarySuccess')
export class SyncLibrarySuccess {
  @Field(() => LibraryType) library!: LibraryType;
  @Field(() => Int, { description: 'Faces found at the vendor but not in the ledger, now recorded.' })
  imported!: number;
  @Field(() => Int, { description: 'Faces in the ledger that the vendor no longer holds.' }) missingAtVendor!: number;
  @Field(() => Int, {
    description: 'Faces the vendor holds but would not let facegraph read (e.g. past its paging cap).',
  })
  unreadableAtVendor!: number;
}

@ObjectType('TrainLibrarySuccess')
export class TrainLibrarySuccess {
  @Field(() => LibraryType) library!: LibraryType;
}

@ObjectType('FaceMatch')
export class FaceMatch {
  @Field(() => FaceType) face!: FaceType;
  @Field(() => Float, { description: 'Similarity normalised to 0..1.' }) similarity!: number;
}

@ObjectType('SearchFacesSuccess')
export class SearchFacesSuccess {
  @Field(() => [FaceMatch]) matches!: FaceMatch[];
}

export function resultUnion<T extends readonly [Function, ...Function[]]>(name: string, types: T) {
  const union = createUnionType({
    name,
    types: () => types as unknown as readonly [ClassType, ...ClassType[]],
    resolveType: resolveByTypename,
  });
  // Error classes carry their GraphQL name, so the admitted error members derive from the list.
  const errorTypes: ReadonlySet<string> = new Set(types.slice(1).map((t) => t.name));
  return { union, errorTypes };
}

export const CreateLibraryResult = resultUnion('CreateLibraryResult', [
  CreateLibrarySuccess,
  InvalidInputError,
  NotFoundError,
  AlreadyExistsError,
  UnsupportedOperationError,
  RateLimitedError,
  QuotaExceededError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const DeleteLibraryResult = resultUnion('DeleteLibraryResult', [
  DeleteLibrarySuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  ConflictError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const CreatePersonResult = resultUnion('CreatePersonResult', [
  CreatePersonSuccess,
  InvalidInputError,
  NotFoundError,
  AlreadyExistsError,
  UnsupportedOperationError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const RegisterFaceResult = resultUnion('RegisterFaceResult', [
  RegisterFaceSuccess,
  InvalidInputError,
  NotFoundError,
  ImageRejectedError,
  UnsupportedOperationError,
  RateLimitedError,
  QuotaExceededError,
  ConflictError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const UpdateFaceResult = resultUnion('UpdateFaceResult', [
  UpdateFaceSuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  RateLimitedError,
  ConflictError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const DeleteFacesResult = resultUnion('DeleteFacesResult', [
  DeleteFacesSuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  RateLimitedError,
  ConflictError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const SyncLibraryResult = resultUnion('SyncLibraryResult', [
  SyncLibrarySuccess,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const SearchFacesResult = resultUnion('SearchFacesResult', [
  SearchFacesSuccess,
  InvalidInputError,
  NotFoundError,
  ImageRejectedError,
  UnsupportedOperationError,
  RateLimitedError,
  ConflictError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const TrainLibraryResult = resultUnion('TrainLibraryResult', [
  TrainLibrarySuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  ConflictError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);

export type ResultUnion = ReturnType<typeof resultUnion>;
