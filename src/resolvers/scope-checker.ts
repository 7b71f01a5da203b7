import { GraphQLError } from 'graphql';
import type { AuthCheckerFn } from 'type-graphql';
import type { Scope } from '../domain/access';
import type { RequestContext } from './context';

/**
 * type-graphql's authChecker for @Authorized(scope): the field answers null with a FORBIDDEN error naming the scope
 * it needs (docs/schema-contract.graphql, "Access"); the resolver never runs, so nothing changes.
 */
export const scopeChecker: AuthCheckerFn<RequestContext, Scope> = ({ context, info }, required) => {
  const missing = required.find((scope) => !context.caller.access.scopes.has(scope));
  if (missing === undefined) return true;
  const held = [...context.caller.access.scopes];
  throw new GraphQLError(
    `${info.parentType.name}.${info.fieldName} needs the '${missing}' scope; this credential has ` +
      `${held.length > 0 ? held.join(', ') : 'none'}.`,
    { extensions: { code: 'FORBIDDEN', requiredScope: missing } },
  );
};
