import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { FaceGraphError, imageRejected, invalidInput } from '../../../domain/errors';
import { isAmbiguous } from '../../http/vendor-failure';
import type {
  BoundingBox,
  Capabilities,
  FaceRecord,
  FieldValues,
  LibraryRecord,
  PersonRecord,
} from '../../../domain/model';
import type { VendorImage } from '../../images/image';
import type {
  FaceListing,
  FaceVendor,
  NewVendorFace,
  NewVendorLibrary,
  NewVendorPerson,
  RegisteredFace,
  SearchRequest,
  TrainingOutcome,
  VendorFacePatch,
  VendorLibraryChange,
  VendorMatch,
  VendorPersonPatch,
} from '../face-vendor';
import { AzureClient, type AzureClientOptions } from './azure-client';

// Library = PersonGroup or LargePersonGroup (vendorMeta.kind), Person = Person, Face = persisted face.
// Azure faces have no externalImageId and no custom fields: both live in the ledger and are mirrored into the
// face's userData as JSON (<= 1 KB), with a registration token that finds a face whose add timed out.

const GROUP_ID = /^[a-z0-9-_]{1,64}$/;
const KINDS = { PersonGroup: 'persongroups', LargePersonGroup: 'largepersongroups' } as const;
type GroupKind = keyof typeof KINDS;
const FACE_USER_DATA_MAX = 1024;
/** Azure requires a person name: the one given to persons created without a name. */
const DEFAULT_PERSON_NAME = 'person';
const PAGE = 1000;
const TRAINING_POLL_MS = [100, 200, 400, 800, 1600, 2000];

interface FaceUserData {
  externalImageId?: string;
  fields?: FieldValues;
  userData?: string | null;
  /** Registration token (see addFace). */
  t?: string;
}

export interface AzureFaceVendorOptions extends Omit<AzureClientOptions, 'providerId' | 'subscriptionKey'> {
  credentials: { subscriptionKey: string };
  /** How long trainLibrary waits for Azure's training to finish before answering RUNNING. */
  trainingWaitMs?: number;
}

export class AzureFaceVendor implements FaceVendor {
  readonly kind = 'AZURE_FACE' as const;
  readonly region = null;
  readonly imageUrlFetchedByVendor = true; // Azure downloads {url} itself; the gateway only checks it
  readonly capabilities: Capabilities = {
    createLibrary: 'NATIVE',
    registerFace: 'NATIVE',
    updateFace: 'NATIVE',
    deleteFaces: 'NATIVE',
    deleteFacesByFilter: 'EMULATED',
    customFields: 'EMULATED',
    persons: 'NATIVE',
    updatePerson: 'NATIVE',
    deletePerson: 'NATIVE',
    searchFaces: 'NATIVE',
    imageUrl: true,
    imageBase64: true,
    maxFacesPerPerson: 248,
    requiresTraining: true,
  };
  private readonly client: AzureClient;
  private readonly trainingWaitMs: number;

  constructor(
    readonly providerId: string,
    options: AzureFaceVendorOptions,
    logger: Logger,
  ) {
    const { credentials, trainingWaitMs, ...rest } = options;
    this.client = new AzureClient({ ...rest, providerId, subscriptionKey: credentials.subscriptionKey }, logger);
    this.trainingWaitMs = trainingWaitMs ?? 60_000;
  }

  normalizeLibraryName(name: string): string {
    if (!GROUP_ID.test(name)) {
      throw invalidInput(
        'input.name',
        `Person group id '${name}' is not allowed on Azure Face: use 1-64 lower-case letters, digits, '-' or '_'.`,
        'LIBRARY_NAME',
      );
    }
    return name;
  }

  async createLibrary(spec: NewVendorLibrary) {
    const kind = (spec.kind ?? 'PersonGroup') as GroupKind;
    if (!(kind in KINDS)) {
      throw invalidInput(
        'input.kind',
        `Azure Face libraries are of kind PersonGroup or LargePersonGroup; got '${spec.kind}'.`,
        'KIND',
      );
    }
    await this.client.call({
      method: 'PUT',
      path: `/${KINDS[kind]}/${spec.name}`,
      json: { name: spec.displayName ?? spec.name, recognitionModel: 'recognition_04' },
      idempotent: true, // a second PUT answers PersonGroupExists, never makes two
      operation: 'createGroup',
      context: { LIBRARY: spec.name },
    });
    return { vendorMeta: { kind } };
  }

  async deleteLibrary(library: LibraryRecord): Promise<void> {
    await this.client.call({
      method: 'DELETE',
      path: groupPath(library),
      idempotent: true,
      operation: 'deleteGroup',
      context: { LIBRARY: library.name },
      tolerate: ['PersonGroupNotFound', 'LargePersonGroupNotFound'],
    });
  }

  async createPerson(library: LibraryRecord, spec: NewVendorPerson) {
    if (spec.externalId !== null) {
      throw invalidInput(
        'input.externalId',
        'Azure Face assigns person ids itself: omit externalId (it will be the personId).',
        'VENDOR_ASSIGNED',
      );
    }
    const created = await this.client.call<{ personId: string }>({
      method: 'POST',
      path: `${groupPath(library)}/persons`,
      json: { name: spec.name ?? DEFAULT_PERSON_NAME, ...(spec.userData ? { userData: spec.userData } : {}) },
      idempotent: false,
      operation: 'createPerson',
      context: { LIBRARY: library.name },
    });
    return { externalId: created!.personId };
  }

  /** The group's name mirrors the display name (the group id when there is none); fields live in the ledger. */
  async updateLibrary(library: LibraryRecord, change: VendorLibraryChange) {
    if (change.displayName === undefined) return {};
    await this.client.call({
      method: 'PATCH',
      path: groupPath(library),
      json: { name: change.displayName ?? library.name },
      idempotent: true,
      operation: 'updateGroup',
      context: { LIBRARY: library.name },
    });
    return {};
  }

  /** A cleared name becomes the default createPerson gives (Azure requires one); a cleared userData, empty. */
  async updatePerson(library: LibraryRecord, person: PersonRecord, patch: VendorPersonPatch): Promise<void> {
    const json: { name?: string; userData?: string } = {};
    if (patch.name !== undefined) json.name = patch.name ?? DEFAULT_PERSON_NAME;
    if (patch.userData !== undefined) json.userData = patch.userData ?? '';
    await this.client.call({
      method: 'PATCH',
      path: personPath(library, person),
      json,
      idempotent: true,
      operation: 'updatePerson',
      context: { LIBRARY: library.name, PERSON: person.externalId },
    });
  }

  /** Azure deletes the person's faces with it. */
  async deletePerson(library: LibraryRecord, person: PersonRecord): Promise<void> {
    await this.client.call({
      method: 'DELETE',
      path: personPath(library, person),
      idempotent: true,
      operation: 'deletePerson',
      context: { LIBRARY: library.name, PERSON: person.externalId },
      tolerate: ['PersonNotFound'],
    });
  }

  async registerFace(
    library: LibraryRecord,
    person: PersonRecord | null,
    face: NewVendorFace,
  ): Promise<RegisteredFace> {
    if (!person)
      throw invalidInput('input.personId', 'Azure Face registers faces on a person: give input.personId.', 'REQUIRED');
    let target: BoundingBox | null = null;
    if (face.faceSelection === 'LARGEST') target = await this.largestFace(face.image);
    const token = randomUUID();
    const userData = faceUserData(
      { ...imageIdPart(face.externalImageId), fields: face.fields, userData: face.userData, t: token },
      'input',
    );
    for (let attempt = 1; ; attempt++) {
      try {
        const added = await this.client.call<{ persistedFaceId: string }>({
          method: 'POST',
          path: `${personPath(library, person)}/persistedfaces`,
          query: {
            userData,
            detectionModel: 'detection_03',
            ...(target ? { targetFace: [target.x, target.y, target.width, target.height].join(',') } : {}),
          },
          ...imageBody(face.image),
          idempotent: false,
          operation: 'addFace',
          context: { LIBRARY: library.name, PERSON: person.externalId },
        });
        return { vendorFaceId: added!.persistedFaceId, boundingBox: target, detectedFaceCount: null };
      } catch (e) {
        if (!isAmbiguous(e)) throw e;
        // The add may have landed: look for the face that carries this registration's token.
        const landed = await this.findByToken(library, person, token);
        if (landed) return { vendorFaceId: landed, boundingBox: target, detectedFaceCount: null };
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
    if (!person) throw new Error('an Azure face always belongs to a person');
    const userData = faceUserData(
      {
        ...imageIdPart(patch.externalImageId === undefined ? face.externalImageId : patch.externalImageId),
        fields: patch.fields ?? face.fields,
        userData: patch.userData === undefined ? face.userData : patch.userData,
      },
      'input',
    );
    await this.client.call({
      method: 'PATCH',
      path: `${personPath(library, person)}/persistedfaces/${face.vendorFaceId}`,
      json: { userData },
      idempotent: true,
      operation: 'updateFace',
      context: { LIBRARY: library.name, PERSON: person.externalId, FACE: face.vendorFaceId },
    });
  }

  async deleteFace(library: LibraryRecord, face: FaceRecord): Promise<void> {
    const personId = face.personExternalId;
    if (!personId) throw new Error('an Azure face always belongs to a person');
    await this.client.call({
      method: 'DELETE',
      path: `${groupPath(library)}/persons/${personId}/persistedfaces/${face.vendorFaceId}`,
      idempotent: true,
      operation: 'deleteFace',
      context: { LIBRARY: library.name, FACE: face.vendorFaceId },
    });
  }

  async listFaces(library: LibraryRecord): Promise<FaceListing> {
    const faces: FaceListing['faces'] = [];
    let start = '';
    for (;;) {
      const persons =
        (await this.client.call<{ personId: string; persistedFaceIds?: string[] }[]>({
          method: 'GET',
          path: `${groupPath(library)}/persons`,
          query: { top: String(PAGE), ...(start ? { start } : {}) },
          idempotent: true,
          operation: 'listPersons',
          context: { LIBRARY: library.name },
        })) ?? [];
      for (const p of persons) {
        for (const faceId of p.persistedFaceIds ?? []) {
          const got = await this.client.call<{ persistedFaceId: string; userData?: string }>({
            method: 'GET',
            path: `${groupPath(library)}/persons/${p.personId}/persistedfaces/${faceId}`,
            idempotent: true,
            operation: 'getFace',
            context: { LIBRARY: library.name, FACE: faceId },
          });
          const data = parseFaceUserData(got?.userData);
          faces.push({
            vendorFaceId: faceId,
            personExternalId: p.personId,
            externalImageId: typeof data.externalImageId === 'string' ? data.externalImageId : null,
            fields: data.fields ?? {},
            userData: data.userData ?? null,
            boundingBox: null,
          });
        }
      }
      if (persons.length < PAGE) break;
      start = persons[persons.length - 1].personId;
    }
    return { faces, unreadable: 0 };
  }

  async searchFaces(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]> {
    try {
      return await this.identify(library, request);
    } catch (e) {
      // Limited Access refuses detect-with-faceId or identify; either way it is searchFaces that cannot be done.
      if (e instanceof FaceGraphError && e.detail.type === 'UnsupportedOperationError')
        throw new FaceGraphError({ ...e.detail, operation: 'searchFaces' });
      throw e;
    }
  }

  private async identify(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]> {
    const detected = await this.detect(request.image, true);
    if (detected.length === 0) throw imageRejected('NO_FACE', 'Azure Face found no face in the image.');
    const probe = detected.reduce((a, b) => (area(b.faceRectangle) > area(a.faceRectangle) ? b : a));
    const kind = kindOf(library);
    const identified = await this.client.call<{ candidates: { personId: string; confidence: number }[] }[]>({
      method: 'POST',
      path: '/identify',
      json: {
        faceIds: [probe.faceId],
        [kind === 'LargePersonGroup' ? 'largePersonGroupId' : 'personGroupId']: library.name,
        maxNumOfCandidatesReturned: Math.min(100, request.topN),
        confidenceThreshold: request.threshold,
      },
      idempotent: true,
      operation: 'identify',
      context: { LIBRARY: library.name },
    });
    // Azure's confidence is already 0..1.
    return (identified?.[0]?.candidates ?? []).map((c) => ({ personExternalId: c.personId, similarity: c.confidence }));
  }

  async trainLibrary(library: LibraryRecord): Promise<TrainingOutcome> {
    await this.client.call({
      method: 'POST',
      path: `${groupPath(library)}/train`,
      idempotent: true,
      operation: 'train',
      context: { LIBRARY: library.name },
    });
    const deadline = Date.now() + this.trainingWaitMs;
    for (let i = 0; ; i++) {
      const status = await this.client.call<{ status: string; message?: string | null }>({
        method: 'GET',
        path: `${groupPath(library)}/training`,
        idempotent: true,
        operation: 'getTraining',
        context: { LIBRARY: library.name },
      });
      const state = (status?.status ?? '').toLowerCase();
      if (state === 'succeeded' || state === 'failed') return { state, message: status?.message ?? null };
      if (Date.now() >= deadline) return { state: 'running', message: null };
      await new Promise((resolve) => setTimeout(resolve, TRAINING_POLL_MS[Math.min(i, TRAINING_POLL_MS.length - 1)]));
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async largestFace(image: VendorImage): Promise<BoundingBox> {
    const faces = await this.detect(image, false);
    if (faces.length === 0) throw imageRejected('NO_FACE', 'Azure Face found no face in the image.');
    const r = faces.reduce((a, b) => (area(b.faceRectangle) > area(a.faceRectangle) ? b : a)).faceRectangle;
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }

  private async detect(image: VendorImage, returnFaceId: boolean) {
    return (
      (await this.client.call<{ faceId: string; faceRectangle: Rect }[]>({
        method: 'POST',
        path: '/detect',
        query: {
          returnFaceId: String(returnFaceId),
          detectionModel: 'detection_03',
          ...(returnFaceId ? { recognitionModel: 'recognition_04' } : {}),
        },
        ...imageBody(image),
        idempotent: true,
        operation: 'detect',
      })) ?? []
    );
  }

  private async findByToken(library: LibraryRecord, person: PersonRecord, token: string): Promise<string | null> {
    const found = await this.client.call<{ persistedFaceIds?: string[] }>({
      method: 'GET',
      path: personPath(library, person),
      idempotent: true,
      operation: 'getPerson',
      context: { LIBRARY: library.name, PERSON: person.externalId },
    });
    for (const faceId of found?.persistedFaceIds ?? []) {
      const face = await this.client.call<{ userData?: string }>({
        method: 'GET',
        path: `${personPath(library, person)}/persistedfaces/${faceId}`,
        idempotent: true,
        operation: 'getFace',
        context: { LIBRARY: library.name, FACE: faceId },
      });
      if (parseFaceUserData(face?.userData).t === token) return faceId;
    }
    return null;
  }
}

interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

const area = (r: Rect) => r.width * r.height;

function kindOf(library: LibraryRecord): GroupKind {
  return library.vendorMeta.kind === 'LargePersonGroup' ? 'LargePersonGroup' : 'PersonGroup';
}

function groupPath(library: LibraryRecord): string {
  return `/${KINDS[kindOf(library)]}/${library.name}`;
}

function personPath(library: LibraryRecord, person: PersonRecord): string {
  return `${groupPath(library)}/persons/${person.externalId}`;
}

function imageBody(image: VendorImage): { json: { url: string } } | { bytes: Buffer } {
  return image.kind === 'url' ? { json: { url: image.url } } : { bytes: image.image.bytes };
}

/** No key at all without an externalImageId: the 1 KB is shared with the fields and the caller's userData. */
function imageIdPart(externalImageId: string | null): Pick<FaceUserData, 'externalImageId'> {
  return externalImageId === null ? {} : { externalImageId };
}

/** externalImageId, fields and userData as the JSON Azure keeps in the face's userData, which holds at most 1 KB. */
function faceUserData(data: FaceUserData, path: string): string {
  const text = JSON.stringify(data);
  if (text.length > FACE_USER_DATA_MAX) {
    throw invalidInput(
      `${path}.fields`,
      `On Azure Face a face's externalImageId, custom fields and userData are kept together in its userData, ` +
        `which holds ${FACE_USER_DATA_MAX} characters; these need ${text.length}.`,
      'AZURE_FACE_USER_DATA',
    );
  }
  return text;
}

function parseFaceUserData(text: string | undefined): FaceUserData {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as FaceUserData;
    return typeof parsed === 'object' && parsed !== null ? parsed : { userData: text };
  } catch {
    return { userData: text }; // a face made outside the gateway: its userData is plain text
  }
}
