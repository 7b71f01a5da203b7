import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  UnsupportedOperationError,
  VendorAuthError,
  VendorUnavailableError,
} from './error.types';
import { FieldDefinitionInput } from './inputs';
import { LibraryType } from './library.type';
import { PersonType } from './person.type';
import { resultUnion } from './result.types';

// Changing and removing libraries and persons (the contract's "Completing the model" block).

@InputType('UpdateLibraryInput', { description: 'Omitted parts stay as they are; displayName null clears it.' })
export class UpdateLibraryInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => [FieldDefinitionInput], {
    nullable: true,
    description: 'Custom fields to add, with the rules of createLibrary; existing fields cannot be changed or removed.',
  })
  addFields?: FieldDefinitionInput[] | null;
}

@InputType('UpdatePersonInput', {
  description: 'Omitted parts stay as they are; null clears one (where the vendor can).',
})
export class UpdatePersonInput {
  @Field(() => ID) personId!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) userData?: string | null;
}

@ObjectType('UpdateLibrarySuccess')
export class UpdateLibrarySuccess {
  @Field(() => LibraryType) library!: LibraryType;
}

@ObjectType('UpdatePersonSuccess')
export class UpdatePersonSuccess {
  @Field(() => PersonType) person!: PersonType;
}

@ObjectType('DeletePersonSuccess')
export class DeletePersonSuccess {
  @Field(() => ID) deletedId!: string;
  @Field(() => Int, { description: "The person's faces deleted with it." }) deletedFaceCount!: number;
}

export const UpdateLibraryResult = resultUnion('UpdateLibraryResult', [
  UpdateLibrarySuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const UpdatePersonResult = resultUnion('UpdatePersonResult', [
  UpdatePersonSuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  RateLimitedError,
  VendorAuthError,
  VendorUnavailableError,
]);
export const DeletePersonResult = resultUnion('DeletePersonResult', [
  DeletePersonSuccess,
  InvalidInputError,
  NotFoundError,
  UnsupportedOperationError,
  RateLimitedError,
  ConflictError,
  VendorAuthError,
  VendorUnavailableError,
]);
