import { ArgsType, Directive, Field, Int, ObjectType } from 'type-graphql';
import { FaceType } from './face.type';
import { LibraryType } from './library.type';
import { PersonType } from './person.type';

// The Relay cursor connections spec's PageInfo, field for field: other subgraphs of a supergraph define the
// same type, so it is @shareable.
@ObjectType('PageInfo')
@Directive('@shareable')
export class PageInfoType {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor?: string | null;
  @Field(() => String, { nullable: true }) endCursor?: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The paging arguments of every connection field. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_PAGE_SIZE,
    description: 'The first n (0-100) of the range, paging forward. Without first or last: the first 20.',
  })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Only what comes after this cursor (pageInfo.endCursor).' })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The last n (0-100) of the range, paging backward; not with first.',
  })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Only what comes before this cursor (pageInfo.startCursor).' })
  before?: string | null;
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
