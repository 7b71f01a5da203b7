import type { FaceRecord, LibraryRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { VendorMatch } from '../datasources/vendors/face-vendor';

/** The ledger's faces for what a vendor's search found, best first, at most topN. */
export async function facesOfMatches(
  ledger: LedgerStore,
  library: LibraryRecord,
  found: readonly VendorMatch[],
  topN: number,
): Promise<{ face: FaceRecord; similarity: number }[]> {
  // A match the ledger does not know (made outside the gateway, not yet synced) has no Face to show.
  // Each kind of match is read in one batch, whatever the number of matches.
  const libraryRowId = library.rowId;
  const rowIds = found.flatMap((m) => ('faceRowId' in m ? [m.faceRowId] : []));
  const keys = found.flatMap((m) => ('vendorFaceId' in m ? [{ libraryRowId, vendorFaceId: m.vendorFaceId }] : []));
  const personKeys = found.flatMap((m) =>
    'personExternalId' in m ? [{ libraryRowId, externalId: m.personExternalId }] : [],
  );
  const byRowId = rowIds.length > 0 ? await ledger.facesByRowId(rowIds) : [];
  const byKey = keys.length > 0 ? await ledger.facesByKey(keys) : [];
  const persons = (personKeys.length > 0 ? await ledger.personsByKey(personKeys) : []).filter((p) => p !== null);
  // A matched person (Azure identify): each of the person's faces matches with the person's confidence.
  const pages =
    persons.length > 0
      ? await ledger.listFacesOfPersons(
          persons.map((p) => p.rowId),
          { first: topN },
          { withTotal: false },
        )
      : [];
  const facesOfPerson = new Map(persons.map((p, i) => [p.externalId, pages[i]!.items]));
  let [nextByRowId, nextByKey] = [0, 0];
  const matches: { face: FaceRecord; similarity: number }[] = [];
  for (const m of found) {
    let faces: (FaceRecord | null | undefined)[];
    if ('faceRowId' in m) faces = [byRowId[nextByRowId++]];
    else if ('vendorFaceId' in m) faces = [byKey[nextByKey++]];
    else faces = facesOfPerson.get(m.personExternalId) ?? [];
    for (const face of faces) if (face) matches.push({ face, similarity: m.similarity });
  }
  return matches.slice(0, topN);
}
