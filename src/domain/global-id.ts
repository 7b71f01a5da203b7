import { invalidInput } from './errors';

// Global IDs are opaque to clients but decode to the provider and the vendor coordinates, so that a
// federation _entities lookup (or any by-id query) can find the object without a lookup table.
// Wire form: base64url(JSON [version, typeTag, providerId, libraryName, (personExternalId | vendorFaceId)]).

export type GlobalId =
  | { type: 'Library'; providerId: string; library: string }
  | { type: 'Person'; providerId: string; library: string; person: string }
  | { type: 'Face'; providerId: string; library: string; face: string };

export type GlobalIdType = GlobalId['type'];

const VERSION = 1;
const TAGS: Record<GlobalIdType, string> = { Library: 'L', Person: 'P', Face: 'F' };
const TYPES_BY_TAG: Record<string, GlobalIdType> = { L: 'Library', P: 'Person', F: 'Face' };
const PARTS: Record<GlobalIdType, number> = { Library: 2, Person: 3, Face: 3 };
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_ID_LENGTH = 2048;

export function encodeGlobalId(id: GlobalId): string {
  const coords = [id.providerId, id.library];
  if (id.type === 'Person') coords.push(id.person);
  if (id.type === 'Face') coords.push(id.face);
  return Buffer.from(JSON.stringify([VERSION, TAGS[id.type], ...coords]), 'utf8').toString('base64url');
}

export const libraryId = (providerId: string, library: string) =>
  encodeGlobalId({ type: 'Library', providerId, library });
export const personId = (providerId: string, library: string, person: string) =>
  encodeGlobalId({ type: 'Person', providerId, library, person });
export const faceId = (providerId: string, library: string, face: string) =>
  encodeGlobalId({ type: 'Face', providerId, library, face });

/** Decodes any global ID, or returns null when it is not one of ours. */
export function tryDecodeGlobalId(raw: string): GlobalId | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_ID_LENGTH || !BASE64URL.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed[0] !== VERSION) return null;
  const type = TYPES_BY_TAG[parsed[1] as string];
  if (!type) return null;
  const coords = parsed.slice(2);
  if (coords.length !== PARTS[type] || !coords.every((c) => typeof c === 'string' && c.length > 0)) return null;
  const id: GlobalId =
    type === 'Library'
      ? { type, providerId: coords[0], library: coords[1] }
      : type === 'Person'
        ? { type, providerId: coords[0], library: coords[1], person: coords[2] }
        : { type, providerId: coords[0], library: coords[1], face: coords[2] };
  // Only the canonical spelling is accepted, so one object never has two IDs.
  return encodeGlobalId(id) === raw ? id : null;
}

/** Decodes a global ID of the expected type; anything else is an InvalidInputError naming the field. */
export function decodeGlobalId<T extends GlobalIdType>(
  raw: string,
  expected: T,
  field: string,
): Extract<GlobalId, { type: T }> {
  const id = tryDecodeGlobalId(raw);
  if (!id) {
    throw invalidInput(
      field,
      `'${field}' is not a valid facegraph ID: use the id field of a ${expected}.`,
      'GLOBAL_ID',
    );
  }
  if (id.type !== expected) {
    throw invalidInput(
      field,
      `'${field}' is the ID of a ${id.type}, but a ${expected} ID is required here.`,
      'GLOBAL_ID_TYPE',
    );
  }
  return id as Extract<GlobalId, { type: T }>;
}
