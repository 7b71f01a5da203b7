import { invalidInput, isFaceGraphError, notFound, unsupported } from '../domain/errors';
import { decodeGlobalId, personId as personGlobalId } from '../domain/global-id';
import type { LibraryRecord, PersonRecord } from '../domain/model';
import type { LedgerStore, PersonPatch } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { LIMITS, optionalText } from './input-rules';
import type { ProviderRegistry } from './provider-registry';
import type { FaceEvents } from './face-events';
import type { StoredImages } from './stored-images';
import { markNeedsTraining } from './training';

export interface UpdatePersonRequest {
  personId: string;
  name?: string | null;
  userData?: string | null;
}

// Changing and removing persons: the vendor first, then the ledger, as for faces.
export class PersonService {
  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly storedImages: StoredImages,
    private readonly events: FaceEvents,
  ) {}

  /** Omitted parts stay as they are; null clears one. */
  async updatePerson(req: UpdatePersonRequest): Promise<PersonRecord> {
    const { library, person, vendor } = await this.requirePerson(req.personId, 'input.personId');
    if (vendor.capabilities.updatePerson === 'UNSUPPORTED') throw unsupported(vendor.kind, 'updatePerson');
    if (req.name === undefined && req.userData === undefined) {
      throw invalidInput('input', 'Give at least one of name or userData to change (null clears one).', 'AT_LEAST_ONE');
    }
    const patch: PersonPatch = {};
    if (req.name !== undefined) patch.name = optionalText(req.name, 'input.name', LIMITS.personName);
    if (req.userData !== undefined) {
      patch.userData = optionalText(req.userData, 'input.userData', LIMITS.userData, true);
    }

    await vendor.updatePerson(library, person, patch);
    try {
      return await this.ledger.updatePerson(person.rowId, patch).catch(samePersonNotFound(req.personId));
    } catch (e) {
      // Not acknowledged: put the vendor's copy back as the ledger still has it.
      const previous: PersonPatch = {};
      if (patch.name !== undefined) previous.name = person.name;
      if (patch.userData !== undefined) previous.userData = person.userData;
      await vendor.updatePerson(library, person, previous).catch(() => undefined);
      throw e;
    }
  }

  /** The person with all its faces, at the vendor and then in the ledger. */
  async deletePerson(rawId: string): Promise<{ deletedId: string; deletedFaceCount: number }> {
    const { library, person, vendor } = await this.requirePerson(rawId, 'id');
    if (vendor.capabilities.deletePerson === 'UNSUPPORTED') throw unsupported(vendor.kind, 'deletePerson');
    const faces = await this.ledger.findFaces(library.rowId, { personRowId: person.rowId });
    // A vendor that already lost the person counts it as deleted, so a retry after a failed ledger write completes.
    await vendor.deletePerson(library, person, faces);
    // Deleted meanwhile (a concurrent deletePerson): answered as unknown, with the id the caller gave.
    const deletedFaceCount = await this.ledger.deletePerson(person.rowId).catch(samePersonNotFound(rawId));
    // The faces read before the vendor call: one registered on the person meanwhile goes by cascade, unannounced.
    this.events.deleted(faces);
    await this.storedImages.releaseUnreferenced(
      vendor,
      faces.map((f) => f.imageSha256),
    );
    await markNeedsTraining(this.ledger, vendor, library);
    return { deletedId: personGlobalId(library.providerId, library.name, person.externalId), deletedFaceCount };
  }

  private async requirePerson(
    rawId: string,
    field: string,
  ): Promise<{ library: LibraryRecord; person: PersonRecord; vendor: FaceVendor }> {
    const id = decodeGlobalId(rawId, 'Person', field);
    const [library] = await this.ledger.librariesByKey([{ providerId: id.providerId, name: id.library }]);
    const [person] = library
      ? await this.ledger.personsByKey([{ libraryRowId: library.rowId, externalId: id.person }])
      : [null];
    if (!library || !person) throw notFound('PERSON', rawId);
    return { library, person, vendor: this.providers.get(library.providerId) };
  }
}

/** The ledger names a person by its row; the API answers with the id the caller gave. */
function samePersonNotFound(rawId: string) {
  return (e: unknown): never => {
    if (isFaceGraphError(e) && e.detail.type === 'NotFoundError' && e.detail.resource === 'PERSON') {
      throw notFound('PERSON', rawId);
    }
    throw e;
  };
}
