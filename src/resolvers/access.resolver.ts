import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { invalidInput, notFound } from '../domain/errors';
import {
  ApiKeyConnection,
  AuditEventConnection,
  AuditFilterInput,
  CreateApiKeyInput,
  CreateApiKeyResult,
  RevokeApiKeyResult,
  ViewerType,
} from '../schema/access.types';
import type { Page } from '../domain/model';
import { DEFAULT_PAGE_SIZE } from '../schema/connection.types';
import { encodeCursor, pageArgs, wantsTotal } from './connection';
import type { RequestContext } from './context';
import { auditedResult } from './audited-operation';

@Resolver()
export class AccessResolver {
  @Query(() => ViewerType, { description: 'Who the caller is and what it may do.' })
  viewer(@Ctx() ctx: RequestContext): ViewerType {
    const { access } = ctx.caller;
    return {
      actor: access.actor,
      scopes: [...access.scopes],
      providers: access.providers ? [...access.providers] : null,
    };
  }

  @Authorized('admin')
  @Query(() => ApiKeyConnection, {
    description: 'API keys made at run time, newest first (keys from the config file are not listed).',
  })
  async apiKeys(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ) {
    const page = pageArgs({ first, after }, info!);
    const keys = await ctx.services.ledger.access.listApiKeys({
      first: page.first ?? DEFAULT_PAGE_SIZE,
      beforeRowId: page.afterRowId,
      withTotal: wantsTotal(info),
    });
    return newestFirstConnection(keys.items, keys);
  }

  @Authorized('admin')
  @Query(() => AuditEventConnection, { description: 'Every mutation and searchFaces, newest first.' })
  async auditLog(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => AuditFilterInput, { nullable: true }) filter?: AuditFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null = null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ) {
    const page = pageArgs({ first, after }, info!);
    const events = await ctx.services.ledger.access.listAuditEvents(filter ?? {}, {
      first: page.first ?? DEFAULT_PAGE_SIZE,
      beforeRowId: page.afterRowId,
      withTotal: wantsTotal(info),
    });
    const nodes = events.items.map((e) => ({ ...e, id: `audit-${e.rowId}` }));
    return newestFirstConnection(nodes, events);
  }

  @Authorized('admin')
  @Mutation(() => CreateApiKeyResult.union, {
    description: 'A new API key; its secret is in the answer and nowhere else.',
  })
  createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'createApiKey', targetIds: [] },
      CreateApiKeyResult,
      'CreateApiKeySuccess',
      async () => {
        const limit = ctx.caller.access.providers;
        // A key limited to some providers cannot make a key that reaches further than itself.
        const providers = input.providers ?? (limit ? [...limit] : null);
        providers?.forEach((id, i) => {
          if (limit && !limit.has(id)) {
            throw invalidInput(
              `input.providers[${i}]`,
              `This credential is limited to ${[...limit].join(', ')}; it cannot grant '${id}'.`,
              'PROVIDER',
            );
          }
        });
        const { apiKey, secret } = await ctx.services.apiKeys.create({ ...input, providers });
        ctx.caller.onApiKeyCreated();
        return { apiKey, secret };
      },
    );
  }

  @Authorized('admin')
  @Mutation(() => RevokeApiKeyResult.union, { description: 'Refused from the next request on, caches included.' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return auditedResult(
      ctx,
      { operation: 'revokeApiKey', targetIds: [id] },
      RevokeApiKeyResult,
      'RevokeApiKeySuccess',
      async () => {
        const revoked = await ctx.services.ledger.access.revokeApiKey(id, new Date());
        if (!revoked) throw notFound('API_KEY', id);
        return { apiKey: revoked };
      },
    );
  }
}

/** Newest-first pages: the cursor is a row id and `after` continues with older rows. */
function newestFirstConnection<T extends { rowId: number }>(nodes: T[], page: Omit<Page<unknown>, 'items'>) {
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.rowId), node }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
