import { isFaceGraphError } from '../domain/errors';
import { validateFieldValues } from '../domain/fields';
import type { FieldValues, LibraryRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { ListedFace } from '../datasources/vendors/face-vendor';
import { requireLibrary } from './lookups';
import type { ProviderRegistry } from './provider-registry';
import type { StoredImages } from './stored-images';

export interface SyncOutcome {
  library: LibraryRecord;
  imported: number;
  missingAtVendor: number;
  unreadableAtVendor: number;
}

// Brings the ledger in line with what the vendor holds: faces made outside the gateway are imported,
// PENDING faces are settled, and faces the vendor lost are counted (not deleted: that is the caller's call).
export class SyncService {
  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly storedImages: StoredImages,
  ) {}

  async syncLibrary(rawId: string): Promise<SyncOutcome> {
    const library = await requireLibrary(this.ledger, rawId, 'id');
    const vendor = this.providers.get(library.providerId);
    const listing = await vendor.listFaces(library);
    const known = new Map((await this.ledger.findFaces(library.rowId, {})).map((f) => [f.vendorFaceId, f]));
    const atVendor = new Set(listing.faces.map((f) => f.vendorFaceId));

    let imported = 0;
    for (const listed of listing.faces) {
      const face = known.get(listed.vendorFaceId);
      if (!face) {
        await this.importFace(library, listed);
        imported++;
      } else if (face.status === 'PENDING') {
        await this.ledger.updateFace(face.rowId, { status: 'ACTIVE' });
      }
    }
    let missingAtVendor = 0;
    const abandoned: number[] = [];
    for (const face of known.values()) {
      if (atVendor.has(face.vendorFaceId)) continue;
      // A PENDING face the vendor never got was never acknowledged: drop it. An ACTIVE one is drift.
      if (face.status === 'PENDING') abandoned.push(face.rowId);
      else missingAtVendor++;
    }
    if (listing.unreadable === 0) {
      const removed = await this.ledger.deleteFaces(abandoned);
      // A dropped PENDING face may have been the last user of an image kept for it.
      await this.storedImages.releaseUnreferenced(
        vendor,
        removed.map((r) => r.imageSha256),
      );
    }
    return { library, imported, missingAtVendor, unreadableAtVendor: listing.unreadable };
  }

  private async importFace(library: LibraryRecord, listed: ListedFace): Promise<void> {
    let personRowId: number | null = null;
    if (listed.personExternalId) {
      const key = { libraryRowId: library.rowId, externalId: listed.personExternalId };
      const [person] = await this.ledger.personsByKey([key]);
      personRowId = (person ?? (await this.ledger.insertPerson({ ...key, name: null, userData: null }))).rowId;
    }
    await this.ledger.insertFace({
      libraryRowId: library.rowId,
      personRowId,
      vendorFaceId: listed.vendorFaceId,
      externalImageId: listed.externalImageId,
      fields: fieldsWithinSchema(library, listed.fields),
      userData: listed.userData,
      boundingBox: listed.boundingBox,
      imageSha256: null,
    });
  }
}

/** Keeps the vendor's field values that fit the library's schema; a face made elsewhere may carry others. */
function fieldsWithinSchema(library: LibraryRecord, fields: FieldValues): FieldValues {
  const kept: FieldValues = {};
  for (const [name, value] of Object.entries(fields)) {
    try {
      Object.assign(kept, validateFieldValues(library.fieldSchema, { [name]: value }));
    } catch (e) {
      if (!isFaceGraphError(e)) throw e;
    }
  }
  return kept;
}
