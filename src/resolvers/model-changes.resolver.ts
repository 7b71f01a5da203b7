import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import {
  DeletePersonResult,
  UpdateLibraryInput,
  UpdateLibraryResult,
  UpdatePersonInput,
  UpdatePersonResult,
} from '../schema/model-changes.types';
import type { RequestContext } from './context';
import { asResult } from './error-member';

@Resolver()
export class ModelChangesResolver {
  @Mutation(() => UpdateLibraryResult.union, { description: 'Changes the display name and adds custom fields.' })
  updateLibrary(@Arg('input', () => UpdateLibraryInput) input: UpdateLibraryInput, @Ctx() ctx: RequestContext) {
    return asResult(UpdateLibraryResult, 'UpdateLibrarySuccess', async () => ({
      library: await ctx.services.libraries.updateLibrary(input),
    }));
  }

  @Mutation(() => UpdatePersonResult.union)
  updatePerson(@Arg('input', () => UpdatePersonInput) input: UpdatePersonInput, @Ctx() ctx: RequestContext) {
    return asResult(UpdatePersonResult, 'UpdatePersonSuccess', async () => ({
      person: await ctx.services.persons.updatePerson(input),
    }));
  }

  @Mutation(() => DeletePersonResult.union, { description: 'Deletes the person with all its faces.' })
  deletePerson(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return asResult(DeletePersonResult, 'DeletePersonSuccess', () => ctx.services.persons.deletePerson(id));
  }
}
