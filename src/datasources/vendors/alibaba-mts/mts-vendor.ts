import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { invalidInput, isFaceGraphError } from '../../../domain/errors';
import type { Capabilities, FaceRecord, LibraryRecord, PersonRecord, ResolvedFaceFilter } from '../../../domain/model';
import { isAmbiguous } from '../../http/vendor-failure';
import type { LoadedImage } from '../../images/image';
import type {
  FaceListing,
  FaceVendor,
  NewVendorFace,
  NewVendorPerson,
  RegisteredFace,
  VendorPersonPatch,
} from '../face-vendor';
import { MtsClient, type MtsClientOptions } from './mts-client';
import { OssImageStaging, type OssStagingOptions } from './oss-staging';

// Library = CategoryId (case-insensitive: kept lower-case), Person = PersonId, Face = FaceId. MTS has no
// create-library call and keeps no face metadata: both live in the ledger only.

const MAX_ID = 120;
/** PersonName and PersonDescription (TagCustomPerson) hold at most this many characters (notes §3.4). */
const MAX_TAG_TEXT = 512;
const CONTROL = /[\u0000-\u001f\u007f]/;

interface MtsFace {
  FaceId: string;
  ImageUrl?: string;
}
interface MtsPerson {
  PersonId: string;
  PersonName?: string;
  Faces?: { Face?: MtsFace[] | MtsFace };
}
interface MtsCategory {
  CategoryId: string;
  Persons?: { Person?: MtsPerson[] | MtsPerson };
}

const CAPABILITIES: Capabilities = {
  createLibrary: 'EMULATED',
  registerFace: 'NATIVE',
  updateFace: 'EMULATED',
  deleteFaces: 'NATIVE',
  deleteFacesByFilter: 'EMULATED',
  customFields: 'EMULATED',
  persons: 'NATIVE',
  updatePerson: 'NATIVE',
  deletePerson: 'NATIVE',
  searchFaces: 'UNSUPPORTED',
  imageUrl: true,
  imageBase64: false,
  maxFacesPerPerson: 10,
  requiresTraining: false,
};

export type MtsVendorOptions = Omit<MtsClientOptions, 'providerId'> & {
  /** An OSS bucket for base64 images; without it MTS takes image URLs only. */
  imageStaging?: OssStagingOptions;
};

export class MtsFaceVendor implements FaceVendor {
  readonly kind = 'ALIBABA_MTS' as const;
  readonly imageUrlFetchedByVendor = true; // MTS downloads ImageUrl itself, from public addresses only
  readonly base64ImagesHint =
    'For base64 images, configure imageStaging (an OSS bucket) on this provider: they are then staged there ' +
    'behind a short-lived signed URL.';
  readonly capabilities: Capabilities;
  readonly region: string;
  private readonly client: MtsClient;
  private readonly staging: OssImageStaging | null;

  constructor(
    readonly providerId: string,
    options: MtsVendorOptions,
    logger: Logger,
  ) {
    const { imageStaging, ...clientOptions } = options;
    this.region = options.region;
    this.client = new MtsClient({ ...clientOptions, providerId }, logger);
    const stagingTransport = { timeoutMs: options.timeoutMs ?? 15_000, observer: options.transportObserver };
    this.staging = imageStaging ? new OssImageStaging(providerId, imageStaging, stagingTransport, logger) : null;
    // The services refuse base64 input up front when imageBase64 is false: true only with a staging bucket.
    this.capabilities = { ...CAPABILITIES, imageBase64: this.staging !== null };
  }

  normalizeLibraryName(name: string): string {
    checkId(name, 'input.name', 'CategoryId');
    return name.toLowerCase();
  }

  async createLibrary() {
    return {}; // MTS creates a category with its first face
  }

  async deleteLibrary(library: LibraryRecord): Promise<void> {
    await this.client.call('UnregisterCustomFace', { CategoryId: library.name, PersonId: 'ALL', FaceId: 'ALL' }, true);
  }

  async createPerson(library: LibraryRecord, spec: NewVendorPerson) {
    const externalId = (spec.externalId ?? randomUUID()).toLowerCase();
    checkId(externalId, 'input.externalId', 'PersonId');
    const tags = personTags(spec);
    if (Object.keys(tags).length > 0) {
      await this.client.call('TagCustomPerson', { CategoryId: library.name, PersonId: externalId, ...tags }, true);
    }
    return { externalId };
  }

  /** TagCustomPerson: name is PersonName, userData is PersonDescription. MTS has no call that clears either. */
  async updatePerson(library: LibraryRecord, person: PersonRecord, patch: VendorPersonPatch): Promise<void> {
    for (const [part, value] of [
      ['name', patch.name],
      ['userData', patch.userData],
    ] as const) {
      if (value === null) {
        const message = `Alibaba MTS cannot clear a person's ${part}; give a new value instead.`;
        throw invalidInput(`input.${part}`, message, 'NOT_NULL');
      }
    }
    const tags = personTags({ name: patch.name ?? null, userData: patch.userData ?? null });
    const params = { CategoryId: library.name, PersonId: person.externalId, ...tags };
    await this.client.call('TagCustomPerson', params, true);
  }

  /**
   * UnregisterCustomFace with FaceId=ALL. MTS knows a person only once it has a face or a tag, and what it answers
   * for an unknown one is UNVERIFIED: after a refusal, a person MTS does not list is already gone.
   */
  async deletePerson(library: LibraryRecord, person: PersonRecord): Promise<void> {
    try {
      const params = { CategoryId: library.name, PersonId: person.externalId, FaceId: 'ALL' };
      await this.client.call('UnregisterCustomFace', params, true);
    } catch (e) {
      if (!isFaceGraphError(e) || e.detail.type !== 'InvalidInputError') throw e;
      const listed = await this.client.call<{ Categories?: { Category?: MtsCategory[] | MtsCategory } }>(
        'ListCustomPersons',
        { CategoryId: library.name, PersonId: person.externalId },
        true,
      );
      const known = asArray(listed.Categories?.Category).some((c) => asArray(c.Persons?.Person).length > 0);
      if (known) throw e;
    }
  }

  async registerFace(
    library: LibraryRecord,
    person: PersonRecord | null,
    face: NewVendorFace,
  ): Promise<RegisteredFace> {
    if (!person)
      throw invalidInput('input.personId', 'Alibaba MTS registers faces on a person: give input.personId.', 'REQUIRED');
    if (face.image.kind === 'url') return this.registerByUrl(library, person, face.image.url, { ambiguous: false });
    // Bytes come only from base64 input, which the face service refuses (IMAGE_URL_REQUIRED, with
    // base64ImagesHint) while capabilities.imageBase64 is false, i.e. without staging.
    if (!this.staging)
      throw new Error('MTS got image bytes without imageStaging: the face service should have refused them');
    return this.registerStaged(library, person, face.image.image, this.staging);
  }

  /** base64 input: PUT to the staging bucket, RegisterCustomFace with a presigned GET URL, then DELETE. */
  private async registerStaged(
    library: LibraryRecord,
    person: PersonRecord,
    image: LoadedImage,
    staging: OssImageStaging,
  ): Promise<RegisteredFace> {
    const staged = await staging.stage(image);
    const outcome = { ambiguous: false };
    try {
      return await this.registerByUrl(library, person, staged.url, outcome);
    } finally {
      // After an ambiguous RegisterCustomFace (sent, no answer in time) MTS may still be downloading the image:
      // the object stays. The URL's short lifetime and the bucket's lifecycle rule on the prefix bound it.
      await staging.release(staged.key, outcome.ambiguous);
    }
  }

  private async registerByUrl(
    library: LibraryRecord,
    person: PersonRecord,
    imageUrl: string,
    outcome: { ambiguous: boolean },
  ): Promise<RegisteredFace> {
    const params = {
      CategoryId: library.name,
      PersonId: person.externalId,
      ImageUrl: imageUrl,
      ...(person.name ? { PersonName: person.name } : {}),
    };
    const before = new Set((await this.facesOf(library, person)).map((f) => f.FaceId));
    for (let attempt = 1; ; attempt++) {
      try {
        const added = await this.client.call<{ FaceId: string }>('RegisterCustomFace', params, false);
        return { vendorFaceId: String(added.FaceId), boundingBox: null, detectedFaceCount: 1 };
      } catch (e) {
        if (!isAmbiguous(e)) throw e;
        outcome.ambiguous = true;
        // The add may have landed: a new face of this person with this URL is it.
        const landed = (await this.facesOf(library, person)).filter(
          (f) => !before.has(f.FaceId) && f.ImageUrl === imageUrl,
        );
        if (landed.length === 1) return { vendorFaceId: landed[0].FaceId, boundingBox: null, detectedFaceCount: 1 };
        if (landed.length > 1 || attempt === 2) throw e;
      }
    }
  }

  async updateFace(): Promise<void> {
    // MTS faces carry no metadata: the ledger holds externalImageId, fields and userData.
  }

  async deleteFace(library: LibraryRecord, face: FaceRecord): Promise<void> {
    if (!face.personExternalId) throw new Error('an MTS face always belongs to a person');
    await this.client.call(
      'UnregisterCustomFace',
      { CategoryId: library.name, PersonId: face.personExternalId, FaceId: face.vendorFaceId },
      true,
    );
  }

  /** A whole person is one call (FaceId=ALL); any other filter is deleted face by face. */
  canDeleteNatively(filter: ResolvedFaceFilter): boolean {
    return (
      filter.personExternalId !== undefined &&
      Object.keys(filter).every((k) => k === 'personRowId' || k === 'personExternalId')
    );
  }

  async deleteFacesByFilter(library: LibraryRecord, filter: ResolvedFaceFilter): Promise<void> {
    await this.client.call(
      'UnregisterCustomFace',
      { CategoryId: library.name, PersonId: filter.personExternalId!, FaceId: 'ALL' },
      true,
    );
  }

  async listFaces(library: LibraryRecord): Promise<FaceListing> {
    const listed = await this.client.call<{ Categories?: { Category?: MtsCategory[] | MtsCategory } }>(
      'ListCustomPersons',
      { CategoryId: library.name },
      true,
    );
    const faces: FaceListing['faces'] = [];
    for (const category of asArray(listed.Categories?.Category)) {
      for (const person of asArray(category.Persons?.Person)) {
        for (const face of asArray(person.Faces?.Face)) {
          faces.push({
            vendorFaceId: String(face.FaceId),
            personExternalId: person.PersonId.toLowerCase(),
            externalImageId: null,
            fields: {},
            userData: null,
            boundingBox: null,
          });
        }
      }
    }
    return { faces, unreadable: 0 };
  }

  async close(): Promise<void> {
    this.client.close();
    this.staging?.close();
  }

  private async facesOf(library: LibraryRecord, person: PersonRecord): Promise<MtsFace[]> {
    const listed = await this.client.call<{ Categories?: { Category?: MtsCategory[] | MtsCategory } }>(
      'ListCustomPersons',
      { CategoryId: library.name, PersonId: person.externalId },
      true,
    );
    return asArray(listed.Categories?.Category).flatMap((c) =>
      asArray(c.Persons?.Person).flatMap((p) => asArray(p.Faces?.Face)),
    );
  }
}

/** A person's name and userData as TagCustomPerson parameters, within MTS's lengths. */
function personTags(spec: { name: string | null; userData: string | null }): Record<string, string> {
  const tags: Record<string, string> = {};
  const parts = [
    ['name', 'PersonName', spec.name],
    ['userData', 'PersonDescription', spec.userData],
  ] as const;
  for (const [part, param, value] of parts) {
    if (value === null) continue;
    const length = [...value].length;
    if (length > MAX_TAG_TEXT) {
      throw invalidInput(
        `input.${part}`,
        `On Alibaba MTS a person's ${part} is its ${param}, which holds at most ${MAX_TAG_TEXT} characters; ` +
          `this one has ${length}.`,
        'MTS_TAG_LENGTH',
      );
    }
    tags[param] = value;
  }
  return tags;
}

function checkId(id: string, field: string, what: string): void {
  if (id.length === 0 || [...id].length > MAX_ID || CONTROL.test(id)) {
    throw invalidInput(
      field,
      `An MTS ${what} is 1-${MAX_ID} characters without control characters; '${field}' is not.`,
      'MTS_ID',
    );
  }
}

/** POP lists come as an array, a single object, or nothing. */
function asArray<T>(value: T[] | T | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
