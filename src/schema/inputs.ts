import { Field, ID, InputType } from 'type-graphql';
import { FaceSelectionEnum, FieldTypeEnum } from './enums';
import type { UploadedFile } from '../datasources/images/upload';
import { JSONScalar, UploadScalar } from './scalars';

@InputType('FaceFilter', { description: 'All given parts must match.' })
export class FaceFilterInput {
  @Field(() => [ID], { nullable: true }) faceIds?: string[] | null;
  @Field(() => String, { nullable: true }) externalImageId?: string | null;
  @Field(() => ID, { nullable: true }) personId?: string | null;
  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Equality on custom fields, all must match: { "dept": "sales", "level": 3 }',
  })
  fields?: Record<string, unknown> | null;
}

@InputType('ImageInput', {
  description:
    'Exactly one of base64 (plain or a data: URL), url (http/https) or upload (a file of a multipart request).',
})
export class ImageInput {
  @Field(() => String, { nullable: true }) base64?: string | null;
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => UploadScalar, {
    nullable: true,
    description: 'At most images.maxBytes; send apollo-require-preflight: true.',
  })
  upload?: Promise<UploadedFile> | null;
}

@InputType('FieldDefinitionInput')
export class FieldDefinitionInput {
  @Field() name!: string;
  @Field(() => FieldTypeEnum) type!: FieldTypeEnum;
}

@InputType('CreateLibraryInput')
export class CreateLibraryInput {
  @Field(() => ID) providerId!: string;
  @Field({ description: "The vendor's name for the library: 1-64 letters, digits, '_' or '-' on LOCAL and FRS." })
  name!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => [FieldDefinitionInput], { nullable: true }) fields?: FieldDefinitionInput[] | null;
  @Field(() => String, {
    nullable: true,
    description:
      "The vendor's kind of collection where it has several: PersonGroup (default) or LargePersonGroup on AZURE_FACE.",
  })
  kind?: string | null;
}

@InputType('CreatePersonInput')
export class CreatePersonInput {
  @Field(() => ID) libraryId!: string;
  @Field(() => String, {
    nullable: true,
    description: 'Your id for the person; generated when omitted (where the vendor lets the caller choose).',
  })
  externalId?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) userData?: string | null;
}

@InputType('RegisterFaceInput')
export class RegisterFaceInput {
  @Field(() => ID) libraryId!: string;
  @Field(() => ID, { nullable: true, description: 'Required where the vendor needs a person (Azure, MTS).' })
  personId?: string | null;
  @Field(() => ImageInput) image!: ImageInput;
  @Field(() => String, { nullable: true }) externalImageId?: string | null;
  @Field(() => JSONScalar, { nullable: true }) fields?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) userData?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'A retry with the same key returns the first result and never creates a second face.',
  })
  idempotencyKey?: string | null;
  @Field(() => FaceSelectionEnum, { nullable: true, defaultValue: FaceSelectionEnum.REJECT_MULTIPLE })
  faceSelection?: FaceSelectionEnum | null;
}

@InputType('UpdateFaceInput', { description: 'Fields are merged: a key set to null removes that field.' })
export class UpdateFaceInput {
  @Field(() => ID) faceId!: string;
  @Field(() => String, { nullable: true }) externalImageId?: string | null;
  @Field(() => JSONScalar, { nullable: true }) fields?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) userData?: string | null;
}
