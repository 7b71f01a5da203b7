import type { GraphQLResolveInfo } from 'graphql';
import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { personId, tryDecodeGlobalId } from '../domain/global-id';
import type { PersonRecord } from '../domain/model';
import { ConnectionArgs, FaceConnection } from '../schema/connection.types';
import { CreatePersonInput } from '../schema/inputs';
import { LibraryType } from '../schema/library.type';
import { PersonType } from '../schema/person.type';
import { CreatePersonResult } from '../schema/result.types';
import { pageArgs, toConnection, userInputError, wantsTotal } from './connection';
import type { RequestContext } from './context';
import { visible } from './visibility';
import { auditedResult } from './audited-operation';

@Resolver(() => PersonType)
export class PersonResolver {
  @Authorized('read')
  @Query(() => PersonType, { nullable: true })
  person(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return loadPerson(ctx, id, 'id');
  }

  @FieldResolver(() => ID)
  id(@Root() person: PersonRecord): string {
    return personId(person.providerId, person.libraryName, person.externalId);
  }

  @FieldResolver(() => LibraryType)
  library(@Root() person: PersonRecord, @Ctx() ctx: RequestContext) {
    return ctx.loaders.libraryByRowId.load(person.libraryRowId);
  }

  @FieldResolver(() => FaceConnection)
  async faces(
    @Root() person: PersonRecord,
    @Ctx() ctx: RequestContext,
    @Args() paging: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    const key = { parentRowId: person.rowId, page: pageArgs(paging, info), withTotal: wantsTotal(info) };
    return toConnection(await ctx.loaders.facesOfPerson.load(key));
  }

  @Authorized('write')
  @Mutation(() => CreatePersonResult.union)
  createPerson(@Arg('input', () => CreatePersonInput) input: CreatePersonInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'createPerson', targetIds: [input.libraryId] },
      CreatePersonResult,
      'CreatePersonSuccess',
      async () => ({
        person: await ctx.services.libraries.createPerson(input),
      }),
    );
  }
}

export async function loadPerson(
  ctx: RequestContext,
  rawId: string,
  argumentName: string,
): Promise<PersonRecord | null> {
  const id = tryDecodeGlobalId(rawId);
  if (!id || id.type !== 'Person') throw userInputError(`'${argumentName}' is not a Person ID.`, argumentName);
  const library = visible(ctx, await ctx.loaders.libraryByKey.load({ providerId: id.providerId, name: id.library }));
  return library && ctx.loaders.personByKey.load({ libraryRowId: library.rowId, externalId: id.person });
}
