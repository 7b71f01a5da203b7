import { Directive, Field, Float, ID, Int, InterfaceType, ObjectType } from 'type-graphql';
import { ErrorCodeEnum, ImageRejectReasonEnum, ResourceKindEnum, VendorKindEnum } from './enums';
import { resolveByTypename } from './typename';

// The error members of the result unions. Values are plain objects carrying __typename (see
// resolvers/error-member.ts), so every abstract type resolves by that discriminant.

@ObjectType('VendorErrorDetail', {
  description: "The vendor's own view of a failure. Never holds a URL, credential or image.",
})
export class VendorErrorDetailType {
  @Field(() => ID)
  providerId!: string;

  @Field(() => String, { nullable: true, description: "The vendor's error code, e.g. FRS.0022." })
  code?: string | null;

  @Field(() => Int, { nullable: true })
  httpStatus?: number | null;

  @Field(() => String, { nullable: true, description: "The vendor's request id, for its support." })
  requestId?: string | null;
}

@InterfaceType('Error', { resolveType: resolveByTypename })
export abstract class ErrorInterface {
  @Field()
  message!: string;

  @Field(() => ErrorCodeEnum)
  code!: ErrorCodeEnum;
}

@Directive('@shareable')
@ObjectType('InvalidInputError', { implements: ErrorInterface })
export class InvalidInputError extends ErrorInterface {
  @Field(() => String, { nullable: true, description: 'Path of the offending input, e.g. input.fields.level.' })
  field?: string | null;

  @Field(() => String, { nullable: true, description: 'The rule that was broken, e.g. GLOBAL_ID or MAX_LENGTH.' })
  constraint?: string | null;
}

@Directive('@shareable')
@ObjectType('NotFoundError', { implements: ErrorInterface })
export class NotFoundError extends ErrorInterface {
  @Field(() => ResourceKindEnum)
  resource!: ResourceKindEnum;

  @Field()
  id!: string;
}

@Directive('@shareable')
@ObjectType('AlreadyExistsError', { implements: ErrorInterface })
export class AlreadyExistsError extends ErrorInterface {
  @Field(() => ResourceKindEnum)
  resource!: ResourceKindEnum;

  @Field()
  id!: string;
}

@Directive('@shareable')
@ObjectType('ImageRejectedError', { implements: ErrorInterface })
export class ImageRejectedError extends ErrorInterface {
  @Field(() => ImageRejectReasonEnum)
  reason!: ImageRejectReasonEnum;

  @Field(() => VendorErrorDetailType, { nullable: true })
  vendor?: VendorErrorDetailType | null;
}

@Directive('@shareable')
@ObjectType('UnsupportedOperationError', { implements: ErrorInterface })
export class UnsupportedOperationError extends ErrorInterface {
  @Field(() => VendorKindEnum)
  providerKind!: VendorKindEnum;

  @Field()
  operation!: string;
}

@Directive('@shareable')
@ObjectType('RateLimitedError', { implements: ErrorInterface })
export class RateLimitedError extends ErrorInterface {
  @Field(() => Float, { nullable: true })
  retryAfterSeconds?: number | null;

  @Field(() => VendorErrorDetailType, { nullable: true })
  vendor?: VendorErrorDetailType | null;
}

@Directive('@shareable')
@ObjectType('QuotaExceededError', { implements: ErrorInterface })
export class QuotaExceededError extends ErrorInterface {
  @Field(() => VendorErrorDetailType, { nullable: true })
  vendor?: VendorErrorDetailType | null;
}

@Directive('@shareable')
@ObjectType('ConflictError', { implements: ErrorInterface })
export class ConflictError extends ErrorInterface {
  @Field()
  reason!: string;

  @Field(() => VendorErrorDetailType, { nullable: true })
  vendor?: VendorErrorDetailType | null;
}

@Directive('@shareable')
@ObjectType('VendorAuthError', { implements: ErrorInterface })
export class VendorAuthError extends ErrorInterface {
  @Field(() => VendorErrorDetailType)
  vendor!: VendorErrorDetailType;
}

@Directive('@shareable')
@ObjectType('VendorUnavailableError', { implements: ErrorInterface })
export class VendorUnavailableError extends ErrorInterface {
  @Field()
  retryable!: boolean;

  @Field(() => VendorErrorDetailType)
  vendor!: VendorErrorDetailType;
}
