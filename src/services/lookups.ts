import { notFound, invalidInput } from '../domain/errors';
import { decodeGlobalId } from '../domain/global-id';
import type { FaceRecord, LibraryRecord, PersonRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';

// Global ID -> ledger record, with the errors the API promises: malformed -> InvalidInputError,
// well-formed but unknown -> NotFoundError.

export async function requireLibrary(ledger: LedgerStore, rawId: string, field: string): Promise<LibraryRecord> {
  const id = decodeGlobalId(rawId, 'Library', field);
  const [library] = await ledger.librariesByKey([{ providerId: id.providerId, name: id.library }]);
  if (!library) throw notFound('LIBRARY', rawId);
  return library;
}

export async function requirePersonOf(
  ledger: LedgerStore,
  library: LibraryRecord,
  rawId: string,
  field: string,
): Promise<PersonRecord> {
  const id = decodeGlobalId(rawId, 'Person', field);
  if (id.providerId !== library.providerId || id.library !== library.name) {
    throw invalidInput(
      field,
      `'${field}' is a person of another library; give a person of library '${library.name}'.`,
      'SAME_LIBRARY',
    );
  }
  const [person] = await ledger.personsByKey([{ libraryRowId: library.rowId, externalId: id.person }]);
  if (!person) throw notFound('PERSON', rawId);
  return person;
}

export async function requireFace(
  ledger: LedgerStore,
  rawId: string,
  field: string,
): Promise<{ library: LibraryRecord; face: FaceRecord }> {
  const id = decodeGlobalId(rawId, 'Face', field);
  const [library] = await ledger.librariesByKey([{ providerId: id.providerId, name: id.library }]);
  const [face] = library ? await ledger.facesByKey([{ libraryRowId: library.rowId, vendorFaceId: id.face }]) : [null];
  if (!library || !face) throw notFound('FACE', rawId);
  return { library, face };
}
