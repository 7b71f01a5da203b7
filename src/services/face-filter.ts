import { invalidInput } from '../domain/errors';
import { validateFieldValues } from '../domain/fields';
import { decodeGlobalId } from '../domain/global-id';
import type { LibraryRecord, ResolvedFaceFilter } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { requirePersonOf } from './lookups';
import type { FaceFilterRequest } from './face-requests';

// A FaceFilter as the API takes it (global ids, a person id, typed field values), resolved against one library to
// what the ledger and the vendors filter by: deleteFaces and a library's faces connection take the same filter.

/** Decodes the filter's IDs against the library; unknown face IDs are returned apart, to be reported. */
export async function resolveFaceFilter(
  ledger: LedgerStore,
  library: LibraryRecord,
  req: FaceFilterRequest,
  options: { allowEmpty?: boolean } = {},
): Promise<{ filter: ResolvedFaceFilter; unknownFaceIds: string[] }> {
  const filter: ResolvedFaceFilter = {};
  const unknownFaceIds: string[] = [];
  if (req.faceIds != null) {
    filter.vendorFaceIds = [];
    req.faceIds.forEach((raw, i) => {
      const id = decodeGlobalId(raw, 'Face', `filter.faceIds[${i}]`);
      if (id.providerId !== library.providerId || id.library !== library.name) {
        throw invalidInput(
          `filter.faceIds[${i}]`,
          `filter.faceIds[${i}] is a face of another library; give faces of library '${library.name}'.`,
          'SAME_LIBRARY',
        );
      }
      filter.vendorFaceIds!.push(id.face);
    });
    if (filter.vendorFaceIds.length > 0) {
      const known = await ledger.facesByKey(
        filter.vendorFaceIds.map((vendorFaceId) => ({ libraryRowId: library.rowId, vendorFaceId })),
      );
      known.forEach((face, i) => face === null && unknownFaceIds.push(req.faceIds![i]));
    }
  }
  if (req.externalImageId != null) filter.externalImageId = req.externalImageId;
  if (req.personId != null) {
    const person = await requirePersonOf(ledger, library, req.personId, 'filter.personId');
    filter.personRowId = person.rowId;
    filter.personExternalId = person.externalId;
  }
  if (req.fields != null) filter.fields = validateFieldValues(library.fieldSchema, req.fields, 'filter.fields');
  if (Object.keys(filter).length === 0 && !options.allowEmpty) {
    throw invalidInput(
      'filter',
      'The filter is empty: give at least one of faceIds, externalImageId, personId or fields ' +
        '(deleting a whole library is deleteLibrary).',
      'AT_LEAST_ONE',
    );
  }
  return { filter, unknownFaceIds };
}
