import { invalidInput } from '../domain/errors';

// Generic limits on free text that every provider accepts; adapters check their vendor's own,
// stricter rules (e.g. Azure's 1 KB face userData) themselves.
export const LIMITS = {
  displayName: 128,
  personName: 128,
  externalId: 128,
  externalImageId: 128,
  userData: 16 * 1024,
  idempotencyKey: 128,
} as const;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Checks optional text: null/undefined pass through; empty, too long or control characters are refused. */
export function optionalText(
  value: string | null | undefined,
  field: string,
  max: number,
  allowControl = false,
): string | null {
  if (value === null || value === undefined) return null;
  if (value.length === 0) throw invalidInput(field, `'${field}' must not be empty: omit it instead.`, 'NOT_EMPTY');
  if (value.length > max) {
    throw invalidInput(
      field,
      `'${field}' is ${value.length} characters long; at most ${max} are allowed.`,
      'MAX_LENGTH',
    );
  }
  if (!allowControl && CONTROL_CHARS.test(value)) {
    throw invalidInput(field, `'${field}' contains control characters, which are not allowed.`, 'CHARACTERS');
  }
  return value;
}
