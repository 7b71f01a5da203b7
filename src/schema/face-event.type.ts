import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { FaceType } from './face.type';
import { DateTimeScalar } from './scalars';

export enum FaceEventKindEnum {
  REGISTERED = 'REGISTERED',
  UPDATED = 'UPDATED',
  DELETED = 'DELETED',
}
registerEnumType(FaceEventKindEnum, { name: 'FaceEventKind' });

@ObjectType('FaceEvent', { description: 'A face change, sent after its ledger commit.' })
export class FaceEventType {
  @Field(() => FaceEventKindEnum) kind!: FaceEventKindEnum;
  @Field(() => ID) faceId!: string;
  @Field(() => ID) libraryId!: string;
  @Field(() => FaceType, { nullable: true, description: 'The face as committed; null when deleted.' })
  face?: FaceType | null;
  @Field({ description: 'Who made the change, as the audit log names them: API key id, jwt:<sub> or anonymous.' })
  actor!: string;
  @Field(() => DateTimeScalar) at!: Date;
}
