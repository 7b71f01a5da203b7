import { Directive, Field, ObjectType } from 'type-graphql';
import { NodeInterface } from './node.interface';
import { DateTimeScalar } from './scalars';

@Directive('@key(fields: "id")')
@ObjectType('Person', { implements: NodeInterface })
export class PersonType extends NodeInterface {
  @Field({ description: "The vendor's person id (Azure personId, MTS PersonId) or the caller's own id." })
  externalId!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  userData?: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
