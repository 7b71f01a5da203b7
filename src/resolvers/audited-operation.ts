import { mayUseProvider } from '../domain/access';
import { notFound, type ResourceKind } from '../domain/errors';
import { tryDecodeGlobalId, type GlobalIdType } from '../domain/global-id';
import { runInAuditScope, type AuditScope } from '../datasources/ledger/audit-scope';
import type { ResultUnion } from '../schema/result.types';
import type { RequestContext } from './context';
import { asResult, toErrorMember } from './error-member';

export interface OperationSpec {
  /** The GraphQL field, as the audit log names it. */
  operation: string;
  /** Global ids the arguments name (libraryId, faceId, personId, filter.faceIds...); absent ones are skipped. */
  targetIds: (string | null | undefined)[];
  /** A provider named by id rather than by a global id (createLibrary's providerId). */
  providerId?: string;
}

const RESOURCE: Record<GlobalIdType, ResourceKind> = { Library: 'LIBRARY', Person: 'PERSON', Face: 'FACE' };

/**
 * Every mutation and searchFaces goes through here: a credential limited to some providers sees the others' ids as
 * not found, and the operation is written to the audit log (with its change, when it makes one).
 */
export async function auditedResult<T extends object>(
  ctx: RequestContext,
  spec: OperationSpec,
  union: ResultUnion,
  successTypename: string,
  work: () => Promise<T>,
): Promise<{ __typename: string }> {
  const targetIds = spec.targetIds.filter((id): id is string => typeof id === 'string' && id.length > 0);
  const scope: AuditScope = {
    entry: { actor: ctx.caller.access.actor, operation: spec.operation, targetIds, clientAddress: ctx.caller.address },
    successOutcome: successTypename,
    recorded: false,
  };
  let result: { __typename: string };
  try {
    const hidden = hiddenTarget(ctx, spec, targetIds);
    result = hidden
      ? (toErrorMember(hidden.detail) as { __typename: string })
      : await runInAuditScope(scope, () => asResult(union, successTypename, work));
  } catch (e) {
    await record(ctx, scope, 'InternalError');
    throw e;
  }
  // Written with the change already, unless the operation changed nothing or ended otherwise than it began.
  if (!scope.recorded || result.__typename !== successTypename) await record(ctx, scope, result.__typename);
  return result;
}

function hiddenTarget(ctx: RequestContext, spec: OperationSpec, targetIds: string[]) {
  const { access } = ctx.caller;
  if (spec.providerId !== undefined && !mayUseProvider(access, spec.providerId))
    return notFound('PROVIDER', spec.providerId);
  for (const raw of targetIds) {
    const id = tryDecodeGlobalId(raw);
    if (id && !mayUseProvider(access, id.providerId)) return notFound(RESOURCE[id.type], raw);
  }
  return null;
}

async function record(ctx: RequestContext, scope: AuditScope, outcome: string): Promise<void> {
  await ctx.services.ledger.access.insertAuditEvent({ ...scope.entry, at: new Date(), outcome });
}
