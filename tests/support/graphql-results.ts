import { gql } from './test-server';

// Reading union results in tests: each operation's error members with their fields, and the
// member's `vendor` detail under one name whichever member it came from.

// Error members differ per union, and `vendor` is nullable on some and not on others, so each member's
// `vendor` is fetched under its own alias and folded back into `vendor` by withVendor().
const VENDOR = '{ providerId code httpStatus requestId }';
const MEMBER_FIELDS: Record<string, string> = {
  InvalidInputError: 'field constraint',
  NotFoundError: 'resource id',
  AlreadyExistsError: 'resource id',
  UnsupportedOperationError: 'operation',
  ImageRejectedError: `reason imageVendor: vendor ${VENDOR}`,
  RateLimitedError: `retryAfterSeconds rateVendor: vendor ${VENDOR}`,
  QuotaExceededError: `quotaVendor: vendor ${VENDOR}`,
  ConflictError: `conflictReason: reason conflictVendor: vendor ${VENDOR}`,
  VendorAuthError: `authVendor: vendor ${VENDOR}`,
  VendorUnavailableError: `retryable unavailableVendor: vendor ${VENDOR}`,
};
const UNION_MEMBERS: Record<string, string[]> = {
  createLibrary: [
    'InvalidInputError',
    'NotFoundError',
    'AlreadyExistsError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'QuotaExceededError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  createPerson: [
    'InvalidInputError',
    'NotFoundError',
    'AlreadyExistsError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  registerFace: [
    'InvalidInputError',
    'NotFoundError',
    'ImageRejectedError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'QuotaExceededError',
    'ConflictError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  updateFace: [
    'InvalidInputError',
    'NotFoundError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'ConflictError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  deleteFaces: [
    'InvalidInputError',
    'NotFoundError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'ConflictError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  deleteLibrary: [
    'InvalidInputError',
    'NotFoundError',
    'UnsupportedOperationError',
    'ConflictError',
    'RateLimitedError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  syncLibrary: ['InvalidInputError', 'NotFoundError', 'RateLimitedError', 'VendorAuthError', 'VendorUnavailableError'],
  searchFaces: [
    'InvalidInputError',
    'NotFoundError',
    'ImageRejectedError',
    'UnsupportedOperationError',
    'RateLimitedError',
    'ConflictError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
  trainLibrary: [
    'InvalidInputError',
    'NotFoundError',
    'UnsupportedOperationError',
    'ConflictError',
    'RateLimitedError',
    'VendorAuthError',
    'VendorUnavailableError',
  ],
};
export const errorsOf = (operation: string) =>
  `... on Error { code message } ` +
  `${UNION_MEMBERS[operation].map((t) => `... on ${t} { ${MEMBER_FIELDS[t]} }`).join(' ')}`;

export function withVendor(result: any) {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return result;
  const {
    imageVendor,
    rateVendor,
    quotaVendor,
    conflictVendor,
    authVendor,
    unavailableVendor,
    conflictReason,
    ...rest
  } = result;
  const vendor = imageVendor ?? rateVendor ?? quotaVendor ?? conflictVendor ?? authVendor ?? unavailableVendor;
  if (conflictReason !== undefined) rest.reason = conflictReason;
  return vendor === undefined ? rest : { ...rest, vendor };
}

/** Runs one operation and returns its single root field, with `vendor` folded in; GraphQL errors fail the test. */
export async function resultOf(url: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await gql(url, query, variables);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return withVendor(Object.values(response.data as Record<string, any>)[0]);
}
