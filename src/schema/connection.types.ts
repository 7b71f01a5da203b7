import { Field, Int, ObjectType } from 'type-graphql';
import { FaceType } from './face.type';
import { LibraryType } from './library.type';
import { PersonType } from './person.type';

@ObjectType('PageInfo')
export class PageInfoType {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor?: string | null;
}

@ObjectType('LibraryEdge')
export class LibraryEdge {
  @Field() cursor!: string;
  @Field(() => LibraryType) node!: LibraryType;
}

@ObjectType('LibraryConnection')
export class LibraryConnection {
  @Field(() => [LibraryEdge]) edges!: LibraryEdge[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;
  @Field(() => Int) totalCount!: number;
}

@ObjectType('PersonEdge')
export class PersonEdge {
  @Field() cursor!: string;
  @Field(() => PersonType) node!: PersonType;
}

@ObjectType('PersonConnection')
export class PersonConnection {
  @Field(() => [PersonEdge]) edges!: PersonEdge[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;
  @Field(() => Int) totalCount!: number;
}

@ObjectType('FaceEdge')
export class FaceEdge {
  @Field() cursor!: string;
  @Field(() => FaceType) node!: FaceType;
}

@ObjectType('FaceConnection')
export class FaceConnection {
  @Field(() => [FaceEdge]) edges!: FaceEdge[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;
  @Field(() => Int) totalCount!: number;
}
