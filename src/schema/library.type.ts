import { Directive, Field, ObjectType } from 'type-graphql';
import { FieldTypeEnum } from './enums';
import { NodeInterface } from './node.interface';
import { DateTimeScalar } from './scalars';

@ObjectType('FieldDefinition')
export class FieldDefinitionType {
  @Field()
  name!: string;

  @Field(() => FieldTypeEnum)
  type!: FieldTypeEnum;
}

// provider, persons, faces and the counts are field resolvers in library.resolver.ts.
@Directive('@key(fields: "id")')
@ObjectType('Library', {
  implements: NodeInterface,
  description: 'A face library: a face set (FRS), person group (Azure), category (MTS) or a LOCAL library.',
})
export class LibraryType extends NodeInterface {
  @Field({ description: "The vendor's own name or id of the library." })
  name!: string;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => [FieldDefinitionType], { description: 'The custom typed fields that faces of this library may carry.' })
  fieldSchema!: FieldDefinitionType[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
