import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { FaceStatusEnum } from './enums';
import { NodeInterface } from './node.interface';
import { DateTimeScalar, JSONScalar } from './scalars';

@ObjectType('BoundingBox', { description: 'Where the face is in the registered image, in pixels.' })
export class BoundingBoxType {
  @Field(() => Int) x!: number;
  @Field(() => Int) y!: number;
  @Field(() => Int) width!: number;
  @Field(() => Int) height!: number;
}

@Directive('@key(fields: "id")')
@ObjectType('Face', { implements: NodeInterface })
export class FaceType extends NodeInterface {
  @Field({ description: "The vendor's id of the face (FRS face_id, Azure persistedFaceId, MTS FaceId)." })
  vendorFaceId!: string;

  @Field(() => String, { nullable: true })
  externalImageId?: string | null;

  @Field(() => JSONScalar, { description: "Custom typed fields, validated against the library's fieldSchema." })
  fields!: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  userData?: string | null;

  @Field(() => BoundingBoxType, { nullable: true })
  boundingBox?: BoundingBoxType | null;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the registered image bytes.' })
  imageSha256?: string | null;

  @Field(() => FaceStatusEnum)
  status!: FaceStatusEnum;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}
