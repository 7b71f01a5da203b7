import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { imageRejected, invalidInput, isFaceGraphError } from '../../../domain/errors';
import { isAmbiguous } from '../../http/vendor-failure';
import type {
  BoundingBox,
  Capabilities,
  FaceRecord,
  FieldDefinition,
  FieldValues,
  LibraryRecord,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../../domain/model';
import type { LoadedImage, VendorImage } from '../../images/image';
import type {
  FaceListing,
  FaceVendor,
  NewVendorFace,
  NewVendorLibrary,
  NewVendorPerson,
  RegisteredFace,
  SearchRequest,
  VendorFacePatch,
  VendorLibraryChange,
  VendorMatch,
} from '../face-vendor';
import { FrsClient, type FrsClientOptions } from './frs-client';
import { filterExpression, isFilterableText } from './filter-expression';

// Library = face set (addressed by name), face = FRS face with typed external_fields. FRS has no
// persons: they live in the ledger, and a reserved custom field carries the person's id so that
// vendor-side filters (batch delete) can select a person's faces.
// A face set's external_fields are fixed when it is created (notes §2: no call changes them), so fields
// added later by updateLibrary live in the ledger only: vendorMeta.ledgerOnlyFields names them, and they
// are never sent to FRS nor used in its filters.

export const PERSON_FIELD = 'fg_person';
/** Reserved too: a token per registration, to find and withdraw a face whose add timed out. */
export const REQUEST_FIELD = 'fg_request';
const RESERVED_FIELDS = [PERSON_FIELD, REQUEST_FIELD];
const MAX_FIELDS = 10;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const EXTERNAL_IMAGE_ID = /^[A-Za-z0-9_-]{1,36}$/;
const STRING_VALUE = /^[A-Za-z0-9_-]{1,256}$/;
/** offset + limit may not exceed this when listing faces. */
const LISTING_CAP = 10_000;
const PAGE = 1_000;

interface FrsFace {
  face_id: string;
  external_image_id?: string;
  external_fields?: Record<string, unknown>;
  bounding_box?: { top_left_x: number; top_left_y: number; width: number; height: number };
}

export class FrsFaceVendor implements FaceVendor {
  readonly kind = 'HUAWEI_FRS' as const;
  readonly imageUrlFetchedByVendor = false; // FRS fetches only from its own OBS buckets: the gateway sends bytes
  readonly capabilities: Capabilities = {
    createLibrary: 'NATIVE',
    registerFace: 'NATIVE',
    updateFace: 'NATIVE',
    deleteFaces: 'NATIVE',
    deleteFacesByFilter: 'NATIVE',
    customFields: 'NATIVE',
    persons: 'EMULATED',
    updatePerson: 'EMULATED',
    deletePerson: 'EMULATED',
    searchFaces: 'NATIVE',
    imageUrl: true,
    imageBase64: true,
    maxFacesPerPerson: null,
    requiresTraining: false,
  };
  readonly region: string;
  private readonly client: FrsClient;

  constructor(
    readonly providerId: string,
    options: Omit<FrsClientOptions, 'providerId'>,
    logger: Logger,
  ) {
    this.region = options.region;
    this.client = new FrsClient({ ...options, providerId }, logger);
  }

  normalizeLibraryName(name: string): string {
    if (!NAME.test(name)) {
      throw invalidInput(
        'input.name',
        `Face set name '${name}' is not allowed on Huawei FRS: use 1-64 letters, digits, '_' or '-'.`,
        'LIBRARY_NAME',
      );
    }
    return name;
  }

  async createLibrary(spec: NewVendorLibrary) {
    const reserved = spec.fieldSchema.find((f) => RESERVED_FIELDS.includes(f.name));
    if (reserved) {
      throw invalidInput(
        'input.fields',
        `'${reserved.name}' is reserved on Huawei FRS providers; choose another field name.`,
        'RESERVED_FIELD',
      );
    }
    if (spec.fieldSchema.length > MAX_FIELDS - RESERVED_FIELDS.length) {
      throw invalidInput(
        'input.fields',
        `Huawei FRS allows ${MAX_FIELDS} custom fields and facegraph uses ${RESERVED_FIELDS.length}: ` +
          `declare at most ${MAX_FIELDS - RESERVED_FIELDS.length}.`,
        'MAX_FIELDS',
      );
    }
    const reservedDefs: FieldDefinition[] = RESERVED_FIELDS.map((name) => ({ name, type: 'STRING' }));
    const externalFields = Object.fromEntries(
      [...spec.fieldSchema, ...reservedDefs].map((f) => [f.name, { type: f.type.toLowerCase() }]),
    );
    await this.client.call({
      method: 'POST',
      path: '/face-sets',
      body: { face_set_name: spec.name, external_fields: externalFields },
      idempotent: true, // a second create of the same name fails with FRS.0301, never makes two
      operation: 'createFaceSet',
      context: { library: spec.name },
    });
    return {};
  }

  async deleteLibrary(library: LibraryRecord): Promise<void> {
    // FRS.0302: already gone at the vendor, which is what was asked.
    await this.client.call({
      method: 'DELETE',
      path: `/face-sets/${library.name}`,
      idempotent: true,
      operation: 'deleteFaceSet',
      context: { library: library.name },
      tolerate: ['FRS.0302'],
    });
  }

  /** Display name and added fields stay in the ledger (the face set keeps neither); checks FRS's field rules. */
  async updateLibrary(library: LibraryRecord, change: VendorLibraryChange) {
    const added = change.addFields ?? [];
    if (added.length === 0) return {};
    const reserved = added.find((f) => RESERVED_FIELDS.includes(f.name));
    if (reserved) {
      const message = `'${reserved.name}' is reserved on Huawei FRS providers; choose another field name.`;
      throw invalidInput('input.addFields', message, 'RESERVED_FIELD');
    }
    const most = MAX_FIELDS - RESERVED_FIELDS.length;
    const has = library.fieldSchema.length;
    if (has + added.length > most) {
      throw invalidInput(
        'input.addFields',
        `Huawei FRS allows ${MAX_FIELDS} custom fields and facegraph uses ${RESERVED_FIELDS.length}: ` +
          `a library declares at most ${most}; '${library.name}' has ${has}, ` +
          `so at most ${Math.max(0, most - has)} more.`,
        'MAX_FIELDS',
      );
    }
    return { vendorMeta: { ledgerOnlyFields: [...ledgerOnlyFields(library), ...added.map((f) => f.name)] } };
  }

  async updatePerson(): Promise<void> {
    // FRS has no persons: a person's name and userData live in the ledger only.
  }

  /** One batch delete by the reserved person field; an id the filter grammar cannot hold goes face by face. */
  async deletePerson(library: LibraryRecord, person: PersonRecord, faces: FaceRecord[]): Promise<void> {
    if (isFilterableText(person.externalId)) {
      await this.deleteFacesByFilter(library, { personRowId: person.rowId, personExternalId: person.externalId });
      return;
    }
    for (const face of faces) {
      await this.deleteById(library, face.vendorFaceId).catch((e: unknown) => {
        if (!(isFaceGraphError(e) && e.detail.type === 'NotFoundError' && e.detail.resource === 'FACE')) throw e;
      });
    }
  }

  /** A filter naming a field that lives in the ledger only cannot be matched at FRS: those go face by face. */
  canDeleteNatively(filter: ResolvedFaceFilter, library: LibraryRecord): boolean {
    const ledgerOnly = ledgerOnlyFields(library);
    return Object.keys(filter.fields ?? {}).every((name) => !ledgerOnly.includes(name));
  }

  async createPerson(_library: LibraryRecord, spec: NewVendorPerson) {
    const externalId = spec.externalId ?? randomUUID();
    if (!STRING_VALUE.test(externalId)) {
      throw invalidInput(
        'input.externalId',
        `On Huawei FRS a person id is 1-256 letters, digits, '_' or '-'; got '${externalId}'.`,
        'PERSON_ID',
      );
    }
    return { externalId };
  }

  async registerFace(
    library: LibraryRecord,
    person: PersonRecord | null,
    face: NewVendorFace,
  ): Promise<RegisteredFace> {
    if (face.externalImageId !== null && !EXTERNAL_IMAGE_ID.test(face.externalImageId)) {
      throw invalidInput(
        'input.externalImageId',
        "On Huawei FRS externalImageId is 1-36 letters, digits, '_' or '-'.",
        'EXTERNAL_IMAGE_ID',
      );
    }
    const faces = await this.addFaces(library, face, person);
    if (faces.length > 1) {
      // REJECT_MULTIPLE: FRS added them all; take them back before refusing.
      await Promise.all(faces.map((f) => this.deleteById(library, f.face_id).catch(() => undefined)));
      throw imageRejected(
        'MULTIPLE_FACES',
        `The image shows ${faces.length} faces; register one face per image, ` +
          'or pass faceSelection: LARGEST to register the largest.',
      );
    }
    if (faces.length === 0) throw imageRejected('NO_FACE', 'Huawei FRS found no face in the image.');
    return {
      vendorFaceId: faces[0].face_id,
      boundingBox: box(faces[0]),
      detectedFaceCount: face.faceSelection === 'LARGEST' ? null : 1,
      externalImageId: faces[0].external_image_id ?? null,
    };
  }

  /**
   * POST faces is not idempotent. When it times out after sending, the face may exist: it is found by
   * its registration token and withdrawn (one batch delete), and the add is sent once more, so a
   * registration never leaves two faces behind.
   */
  private async addFaces(library: LibraryRecord, face: NewVendorFace, person: PersonRecord | null): Promise<FrsFace[]> {
    for (let attempt = 1; ; attempt++) {
      const token = randomUUID();
      try {
        const added = await this.client.call<{ faces?: FrsFace[] }>({
          method: 'POST',
          path: `/face-sets/${library.name}/faces`,
          body: {
            image_base64: bytesOf(face.image).bytes.toString('base64'),
            ...(face.externalImageId ? { external_image_id: face.externalImageId } : {}),
            external_fields: {
              ...vendorFields(atVendor(library, face.fields), person?.externalId ?? null),
              [REQUEST_FIELD]: token,
            },
            // FRS adds every face of the image unless told to keep only the largest.
            single: face.faceSelection === 'LARGEST',
          },
          idempotent: false,
          operation: 'addFaces',
          context: { library: library.name },
        });
        return added?.faces ?? [];
      } catch (e) {
        if (!isAmbiguous(e)) throw e;
        await this.client.call({
          method: 'DELETE',
          path: `/face-sets/${library.name}/faces/batch`,
          body: { filter: filterExpression({ fields: { [REQUEST_FIELD]: token } }) },
          idempotent: true,
          operation: 'withdrawAddFaces',
          context: { library: library.name },
          tolerate: ['FRS.0407'],
        });
        if (attempt === 2) throw e;
      }
    }
  }

  async updateFace(
    library: LibraryRecord,
    face: FaceRecord,
    patch: VendorFacePatch,
    person: PersonRecord | null,
  ): Promise<void> {
    if (patch.externalImageId === null) {
      throw invalidInput(
        'input.externalImageId',
        "Huawei FRS cannot clear a face's externalImageId; give a new value instead.",
        'NOT_NULL',
      );
    }
    if (patch.externalImageId !== undefined && !EXTERNAL_IMAGE_ID.test(patch.externalImageId)) {
      throw invalidInput(
        'input.externalImageId',
        "On Huawei FRS externalImageId is 1-36 letters, digits, '_' or '-'.",
        'EXTERNAL_IMAGE_ID',
      );
    }
    const fields = patch.fields === undefined ? undefined : atVendor(library, patch.fields);
    const fieldsChange = fields !== undefined && !sameValues(fields, atVendor(library, face.fields));
    // userData and ledger-only fields live in the ledger only
    if (patch.externalImageId === undefined && !fieldsChange) return;
    await this.client.call({
      method: 'PUT',
      path: `/face-sets/${library.name}/faces`,
      body: {
        face_id: face.vendorFaceId,
        ...(patch.externalImageId !== undefined ? { external_image_id: patch.externalImageId } : {}),
        ...(fieldsChange ? { external_fields: vendorFields(fields, person?.externalId ?? null) } : {}),
      },
      idempotent: true,
      operation: 'updateFace',
      context: { library: library.name, face: face.vendorFaceId },
    });
  }

  async deleteFace(library: LibraryRecord, face: FaceRecord): Promise<void> {
    await this.deleteById(library, face.vendorFaceId);
  }

  /**
   * Resolves to FRS's face_number: every face it removed, including any the ledger did not know (undefined when FRS
   * answered with a tolerated error, e.g. on a retry of a call that had already acted).
   */
  async deleteFacesByFilter(library: LibraryRecord, filter: ResolvedFaceFilter): Promise<number | undefined> {
    // FRS.0407 / FRS.0402: nothing matched at the vendor, which is the state that was asked for.
    if (filter.externalImageId !== undefined && Object.keys(filter).length === 1) {
      const removed = await this.client.call<{ face_number?: number }>({
        method: 'DELETE',
        path: `/face-sets/${library.name}/faces`,
        query: { external_image_id: filter.externalImageId },
        idempotent: true,
        operation: 'deleteFacesByExternalImageId',
        context: { library: library.name },
        tolerate: ['FRS.0402'],
      });
      return removed?.face_number;
    }
    const { personExternalId, ...rest } = filter;
    const fields = personExternalId ? { ...rest.fields, [PERSON_FIELD]: personExternalId } : rest.fields;
    const removed = await this.client.call<{ face_number?: number }>({
      method: 'DELETE',
      path: `/face-sets/${library.name}/faces/batch`,
      body: { filter: filterExpression({ externalImageId: rest.externalImageId, fields }) },
      idempotent: true,
      operation: 'batchDeleteFaces',
      context: { library: library.name },
      tolerate: ['FRS.0407'],
    });
    return removed?.face_number;
  }

  async listFaces(library: LibraryRecord): Promise<FaceListing> {
    const info = await this.client.call<{ face_set_info?: { face_number?: number } }>({
      method: 'GET',
      path: `/face-sets/${library.name}`,
      idempotent: true,
      operation: 'showFaceSet',
      context: { library: library.name },
    });
    const total = info?.face_set_info?.face_number ?? 0;
    const faces: FaceListing['faces'] = [];
    for (let offset = 0; offset < Math.min(total, LISTING_CAP); offset += PAGE) {
      const limit = Math.min(PAGE, LISTING_CAP - offset);
      const page = await this.client.call<{ faces?: FrsFace[] }>({
        method: 'GET',
        path: `/face-sets/${library.name}/faces`,
        query: { offset: String(offset), limit: String(limit) },
        idempotent: true,
        operation: 'showFaces',
        context: { library: library.name },
      });
      for (const f of page?.faces ?? []) {
        const { [PERSON_FIELD]: person, [REQUEST_FIELD]: _token, ...fields } = f.external_fields ?? {};
        faces.push({
          vendorFaceId: f.face_id,
          personExternalId: typeof person === 'string' ? person : null,
          externalImageId: f.external_image_id ?? null,
          fields: fields as FieldValues,
          userData: null,
          boundingBox: box(f),
        });
      }
      if ((page?.faces ?? []).length < limit) break;
    }
    return { faces, unreadable: Math.max(0, total - faces.length) };
  }

  async searchFaces(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]> {
    const found = await this.client.call<{ faces?: (FrsFace & { similarity: number })[] }>({
      method: 'POST',
      path: `/face-sets/${library.name}/search`,
      body: {
        image_base64: bytesOf(request.image).bytes.toString('base64'),
        top_n: request.topN,
        threshold: request.threshold,
      },
      idempotent: true,
      operation: 'searchFace',
      context: { library: library.name },
    });
    // FRS similarity is already 0..1.
    return (found?.faces ?? []).map((f) => ({ vendorFaceId: f.face_id, similarity: f.similarity }));
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async deleteById(library: LibraryRecord, faceId: string): Promise<void> {
    await this.client.call({
      method: 'DELETE',
      path: `/face-sets/${library.name}/faces`,
      query: { face_id: faceId },
      idempotent: true,
      operation: 'deleteFaceById',
      context: { library: library.name, face: faceId },
    });
  }
}

/** The fields added after the face set was created, which FRS does not hold. */
function ledgerOnlyFields(library: LibraryRecord): string[] {
  const names = library.vendorMeta.ledgerOnlyFields;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}

/** The face's field values that FRS holds (those its face set declares). */
function atVendor(library: LibraryRecord, fields: FieldValues): FieldValues {
  const ledgerOnly = ledgerOnlyFields(library);
  return Object.fromEntries(Object.entries(fields).filter(([name]) => !ledgerOnly.includes(name)));
}

const sortedEntries = (values: FieldValues) =>
  JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
const sameValues = (a: FieldValues, b: FieldValues) => sortedEntries(a) === sortedEntries(b);

/** The face's custom fields as FRS takes them, with the person carried in the reserved field. */
function vendorFields(fields: FieldValues, personExternalId: string | null): Record<string, unknown> {
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string' && !STRING_VALUE.test(value)) {
      throw invalidInput(
        `input.fields.${name}`,
        `On Huawei FRS a text field holds 1-256 letters, digits, '_' or '-'; '${name}' does not.`,
        'FRS_STRING',
      );
    }
  }
  return personExternalId ? { ...fields, [PERSON_FIELD]: personExternalId } : { ...fields };
}

function box(face: FrsFace): BoundingBox | null {
  const b = face.bounding_box;
  return b ? { x: b.top_left_x, y: b.top_left_y, width: b.width, height: b.height } : null;
}

function bytesOf(image: VendorImage): LoadedImage {
  if (image.kind !== 'bytes') throw new Error('Huawei FRS needs the image bytes');
  return image.image;
}
