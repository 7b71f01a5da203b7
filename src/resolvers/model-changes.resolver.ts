import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import {
  DeletePersonResult,
  UpdateLibraryInput,
  UpdateLibraryResult,
  UpdatePersonInput,
  UpdatePersonResult,
} from '../schema/model-changes.types';
import type { RequestContext } from './context';
import { auditedResult } from './audited-operation';

@Resolver()
export class ModelChangesResolver {
  @Authorized('admin')
  @Mutation(() => UpdateLibraryResult.union, { description: 'Changes the display name and adds custom fields.' })
  updateLibrary(@Arg('input', () => UpdateLibraryInput) input: UpdateLibraryInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'updateLibrary', targetIds: [input.id] },
      UpdateLibraryResult,
      'UpdateLibrarySuccess',
      async () => ({
        library: await ctx.services.libraries.updateLibrary(input),
      }),
    );
  }

  @Authorized('write')
  @Mutation(() => UpdatePersonResult.union)
  updatePerson(@Arg('input', () => UpdatePersonInput) input: UpdatePersonInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'updatePerson', targetIds: [input.personId] },
      UpdatePersonResult,
      'UpdatePersonSuccess',
      async () => ({
        person: await ctx.services.persons.updatePerson(input),
      }),
    );
  }

  @Authorized('write')
  @Mutation(() => DeletePersonResult.union, { description: 'Deletes the person with all its faces.' })
  deletePerson(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'deletePerson', targetIds: [id] },
      DeletePersonResult,
      'DeletePersonSuccess',
      () => ctx.services.persons.deletePerson(id),
    );
  }
}
