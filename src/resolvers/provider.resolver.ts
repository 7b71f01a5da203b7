import type { GraphQLResolveInfo } from 'graphql';
import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { ConnectionArgs, LibraryConnection } from '../schema/connection.types';
import { CapabilitiesType, ProviderType } from '../schema/provider.type';
import { pageArgs, toConnection, wantsTotal } from './connection';
import type { RequestContext } from './context';
import { findVisibleProvider, visibleProviders } from './visibility';

@Resolver(() => ProviderType)
export class ProviderResolver {
  @Authorized('read')
  @Query(() => [ProviderType])
  providers(@Ctx() ctx: RequestContext): FaceVendor[] {
    return visibleProviders(ctx);
  }

  @Authorized('read')
  @Query(() => ProviderType, { nullable: true })
  provider(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): FaceVendor | null {
    return findVisibleProvider(ctx, id);
  }

  @FieldResolver(() => ID)
  id(@Root() vendor: FaceVendor): string {
    return vendor.providerId;
  }

  @FieldResolver(() => CapabilitiesType)
  capabilities(@Root() vendor: FaceVendor) {
    return vendor.capabilities;
  }

  @FieldResolver(() => LibraryConnection)
  async libraries(
    @Root() vendor: FaceVendor,
    @Ctx() ctx: RequestContext,
    @Args() paging: ConnectionArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    const page = pageArgs(paging, info);
    const options = { withTotal: wantsTotal(info) };
    return toConnection(await ctx.services.ledger.listLibraries([vendor.providerId], page, options));
  }
}
