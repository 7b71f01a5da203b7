import { GraphQLError } from 'graphql';
import { ERROR_CODES, isFaceGraphError, type ErrorDetail } from '../domain/errors';
import type { ResultUnion } from '../schema/result.types';

export type ErrorMember = Omit<ErrorDetail, 'type'> & { __typename: ErrorDetail['type']; code: string };

/** The one mapping from a domain error to the GraphQL error member of the same name. */
export function toErrorMember(detail: ErrorDetail): ErrorMember {
  const { type, ...rest } = detail;
  return { __typename: type, code: ERROR_CODES[type], ...rest } as ErrorMember;
}

/**
 * Runs a use case and answers its union: the success value, or the error member. A domain error the
 * union does not admit becomes a GraphQL error with the same code; anything else is a bug and is
 * rethrown (Apollo masks it).
 */
export async function asResult<T extends object>(union: ResultUnion, typename: string, work: () => Promise<T>) {
  try {
    return { __typename: typename, ...(await work()) };
  } catch (e) {
    if (!isFaceGraphError(e)) throw e;
    if (union.errorTypes.has(e.detail.type)) return toErrorMember(e.detail);
    throw new GraphQLError(e.detail.message, { extensions: { code: ERROR_CODES[e.detail.type] } });
  }
}

/** For queries that are not unions (library(id), faces(filter)...): domain errors become GraphQL errors. */
export async function orGraphQLError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!isFaceGraphError(e)) throw e;
    const code = e.detail.type === 'InvalidInputError' ? 'BAD_USER_INPUT' : ERROR_CODES[e.detail.type];
    const field = e.detail.type === 'InvalidInputError' ? e.detail.field : undefined;
    throw new GraphQLError(e.detail.message, { extensions: { code, ...(field ? { field } : {}) } });
  }
}
