import { GraphQLError } from 'graphql';
import type { AuthCheckerFn } from 'type-graphql';
import type { Scope } from '../domain/access';
import type { RequestContext } from './context';

/**
 * type-graphql's authChecker for @Authorized(scope): the field answers null with a FORBIDDEN error naming the scope
 * it needs (docs/schema-contract.graphql, "Access"); the resolver never runs, so nothing changes.
 */
export const scopeChecker: AuthCheckerFn<RequestContext, Scope> = ({ context, info }, required) => {
  for (const scope of required) requireScope(context, scope, `${info.parentType.name}.${info.fieldName}`);
  return true;
};

/** Throws the FORBIDDEN error unless the caller holds `scope` (for fields that type-graphql does not build). */
export function requireScope(context: RequestContext, scope: Scope, field: string): void {
  if (context.caller.access.scopes.has(scope)) return;
  const held = [...context.caller.access.scopes];
  throw new GraphQLError(
    `${field} needs the '${scope}' scope; this credential has ${held.length > 0 ? held.join(', ') : 'none'}.`,
    {
      extensions: { code: 'FORBIDDEN', requiredScope: scope },
    },
  );
}
