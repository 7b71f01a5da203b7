import { alreadyExists, invalidInput, isFaceGraphError, notFound, unsupported } from '../domain/errors';
import { MAX_FIELDS, validateFieldSchema } from '../domain/fields';
import { libraryId } from '../domain/global-id';
import type { FieldDefinition, LibraryRecord, PersonRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { VendorLibraryChange } from '../datasources/vendors/face-vendor';
import { KeyedMutex } from './keyed-mutex';
import { LIMITS, optionalText } from './input-rules';
import { requireLibrary } from './lookups';
import type { ProviderRegistry } from './provider-registry';
import type { FaceEvents } from './face-events';
import type { StoredImages } from './stored-images';
import { markNeedsTraining, trainLibrary } from './training';

export interface CreateLibraryRequest {
  providerId: string;
  name: string;
  displayName?: string | null;
  fields?: FieldDefinition[] | null;
  kind?: string | null;
}

export interface CreatePersonRequest {
  libraryId: string;
  externalId?: string | null;
  name?: string | null;
  userData?: string | null;
}

export interface UpdateLibraryRequest {
  id: string;
  displayName?: string | null;
  addFields?: FieldDefinition[] | null;
}

export class LibraryService {
  /** Changes of one library run one after another, so each checks its added fields against the latest schema. */
  private readonly libraryChanges = new KeyedMutex();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly storedImages: StoredImages,
    private readonly events: FaceEvents,
  ) {}

  async createLibrary(req: CreateLibraryRequest): Promise<LibraryRecord> {
    const vendor = this.providers.get(req.providerId);
    if (vendor.capabilities.createLibrary === 'UNSUPPORTED') throw unsupported(vendor.kind, 'createLibrary');
    const name = vendor.normalizeLibraryName(req.name);
    const displayName = optionalText(req.displayName, 'input.displayName', LIMITS.displayName);
    const fieldSchema = validateFieldSchema(req.fields ?? [], 'input.fields');
    if (fieldSchema.length > 0 && vendor.capabilities.customFields === 'UNSUPPORTED') {
      throw unsupported(vendor.kind, 'customFields');
    }
    const [existing] = await this.ledger.librariesByKey([{ providerId: vendor.providerId, name }]);
    if (existing) throw duplicateLibrary(vendor.providerId, name);

    const { vendorMeta } = await vendor.createLibrary({ name, displayName, fieldSchema, kind: req.kind ?? null });
    try {
      return await this.ledger.insertLibrary({
        providerId: vendor.providerId,
        name,
        displayName,
        fieldSchema,
        vendorMeta,
      });
    } catch (e) {
      // The vendor now holds a library the ledger does not know: undo it, or the name stays taken.
      const orphan: LibraryRecord = {
        rowId: -1,
        providerId: vendor.providerId,
        name,
        displayName,
        fieldSchema,
        vendorMeta: vendorMeta ?? {},
        createdAt: new Date(),
      };
      await vendor.deleteLibrary(orphan).catch(() => undefined);
      throw e;
    }
  }

  async deleteLibrary(rawId: string): Promise<{ deletedId: string; deletedFaceCount: number }> {
    const library = await requireLibrary(this.ledger, rawId, 'id');
    const vendor = this.providers.get(library.providerId);
    // Read for the images to release (LOCAL's files, what the gateway kept of cloud faces) and the DELETED events.
    const faces = await this.ledger.findFaces(library.rowId, {});
    await vendor.deleteLibrary(library);
    const deletedFaceCount = await this.ledger.deleteLibrary(library.rowId);
    this.events.deleted(faces);
    await this.storedImages.releaseUnreferenced(
      vendor,
      faces.map((f) => f.imageSha256),
    );
    return { deletedId: libraryId(library.providerId, library.name), deletedFaceCount };
  }

  /** Omitted parts stay as they are; displayName null clears it. Fields can be added, not changed or removed. */
  async updateLibrary(req: UpdateLibraryRequest): Promise<LibraryRecord> {
    const known = await requireLibrary(this.ledger, req.id, 'input.id');
    return this.libraryChanges.run(String(known.rowId), async () => {
      const library = await requireLibrary(this.ledger, req.id, 'input.id');
      const vendor = this.providers.get(library.providerId);
      const change: VendorLibraryChange = {};
      if (req.displayName !== undefined) {
        change.displayName = optionalText(req.displayName, 'input.displayName', LIMITS.displayName);
      }
      if (req.addFields != null && req.addFields.length > 0) {
        change.addFields = this.checkAddedFields(library, req.addFields);
      }
      if (change.displayName === undefined && change.addFields === undefined) {
        const message = 'Give at least one of displayName (null clears it) or addFields to change.';
        throw invalidInput('input', message, 'AT_LEAST_ONE');
      }
      if (change.addFields && vendor.capabilities.customFields === 'UNSUPPORTED') {
        throw unsupported(vendor.kind, 'customFields');
      }

      const { vendorMeta } = (await vendor.updateLibrary?.(library, change)) ?? {};
      try {
        return await this.ledger.updateLibrary(library.rowId, { ...change, vendorMeta }).catch((e: unknown) => {
          // Deleted meanwhile: answered with the id the caller gave, not the ledger's row.
          if (isFaceGraphError(e) && e.detail.type === 'NotFoundError') throw notFound('LIBRARY', req.id);
          throw e;
        });
      } catch (e) {
        // Not acknowledged: the vendor's display name goes back to the ledger's.
        if (change.displayName !== undefined) {
          await vendor.updateLibrary?.(library, { displayName: library.displayName }).catch(() => undefined);
        }
        throw e;
      }
    });
  }

  /** Added fields follow createLibrary's rules, and with the library's own stay unique and within the limit. */
  private checkAddedFields(library: LibraryRecord, fields: FieldDefinition[]): FieldDefinition[] {
    const added = validateFieldSchema(fields, 'input.addFields');
    added.forEach((field, i) => {
      const existing = library.fieldSchema.find((f) => f.name === field.name);
      if (existing) {
        throw invalidInput(
          `input.addFields[${i}].name`,
          `Library '${library.name}' already declares field '${field.name}' (${existing.type}); ` +
            'choose another name (fields cannot be changed).',
          'unique',
        );
      }
    });
    const room = MAX_FIELDS - library.fieldSchema.length;
    if (added.length > room) {
      throw invalidInput(
        'input.addFields',
        `A library can declare at most ${MAX_FIELDS} custom fields; '${library.name}' has ` +
          `${library.fieldSchema.length}, so at most ${room} more.`,
        `maxCount:${MAX_FIELDS}`,
      );
    }
    return added;
  }

  async createPerson(req: CreatePersonRequest): Promise<PersonRecord> {
    const library = await requireLibrary(this.ledger, req.libraryId, 'input.libraryId');
    const vendor = this.providers.get(library.providerId);
    if (vendor.capabilities.persons === 'UNSUPPORTED') throw unsupported(vendor.kind, 'createPerson');
    const externalId = optionalText(req.externalId, 'input.externalId', LIMITS.externalId);
    const name = optionalText(req.name, 'input.name', LIMITS.personName);
    const userData = optionalText(req.userData, 'input.userData', LIMITS.userData, true);
    if (externalId !== null) {
      const [existing] = await this.ledger.personsByKey([{ libraryRowId: library.rowId, externalId }]);
      if (existing) {
        throw alreadyExists(
          'PERSON',
          externalId,
          `A person with externalId '${externalId}' already exists in library '${library.name}'.`,
        );
      }
    }
    const created = await vendor.createPerson(library, { externalId, name, userData });
    const person = await this.ledger.insertPerson({
      libraryRowId: library.rowId,
      externalId: created.externalId,
      name,
      userData,
    });
    await markNeedsTraining(this.ledger, vendor, library);
    return person;
  }

  async trainLibrary(rawId: string): Promise<LibraryRecord> {
    const library = await requireLibrary(this.ledger, rawId, 'id');
    return trainLibrary(this.ledger, this.providers.get(library.providerId), library);
  }
}

function duplicateLibrary(providerId: string, name: string) {
  return alreadyExists('LIBRARY', name, `A library named '${name}' already exists in provider '${providerId}'.`);
}
