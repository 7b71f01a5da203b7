import { Field, ID, Int, ObjectType } from 'type-graphql';
import { SupportEnum, VendorKindEnum } from './enums';

@ObjectType('Capabilities', {
  description: 'What a provider does natively, what facegraph emulates, and what cannot be done.',
})
export class CapabilitiesType {
  @Field(() => SupportEnum) createLibrary!: SupportEnum;
  @Field(() => SupportEnum) registerFace!: SupportEnum;
  @Field(() => SupportEnum) updateFace!: SupportEnum;
  @Field(() => SupportEnum, { description: 'Deleting faces by id.' }) deleteFaces!: SupportEnum;
  @Field(() => SupportEnum, { description: 'Deleting faces by externalImageId, person or custom fields.' })
  deleteFacesByFilter!: SupportEnum;
  @Field(() => SupportEnum) customFields!: SupportEnum;
  @Field(() => SupportEnum) persons!: SupportEnum;
  @Field(() => SupportEnum, { description: "Changing a person's name and userData." }) updatePerson!: SupportEnum;
  @Field(() => SupportEnum, { description: 'Deleting a person with all its faces.' }) deletePerson!: SupportEnum;
  @Field(() => SupportEnum) searchFaces!: SupportEnum;
  @Field() imageUrl!: boolean;
  @Field() imageBase64!: boolean;
  @Field(() => Int, { nullable: true }) maxFacesPerPerson?: number | null;
  @Field() requiresTraining!: boolean;
}

@ObjectType('Provider', { description: 'A configured face-library vendor account (or the built-in LOCAL library).' })
export class ProviderType {
  @Field(() => ID)
  id!: string;

  @Field(() => VendorKindEnum)
  kind!: VendorKindEnum;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => CapabilitiesType)
  capabilities!: CapabilitiesType;
}
