import { FaceGraphError, invalidInput, unsupported } from '../domain/errors';
import { validateFieldValues } from '../domain/fields';
import type { FaceRecord, FieldValues, LibraryRecord, PersonRecord } from '../domain/model';
import type { LedgerStore, NewFace } from '../datasources/ledger/ledger-store';
import type { VendorImage } from '../datasources/images/image';
import {
  checkVendorFetchedUrl,
  loadImageInput,
  receiveImageInput,
  type ReceivedImageInput,
} from '../datasources/images';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import type { KeyedGate } from './keyed-gate';
import { KeyedMutex } from './keyed-mutex';
import { markNeedsTraining } from './training';
import { LIMITS, optionalText } from './input-rules';
import { requireFace, requireLibrary, requirePersonOf } from './lookups';
import type { ProviderRegistry } from './provider-registry';
import type { FaceEvents } from './face-events';
import type { StoredImages } from './stored-images';
import type {
  ImagePolicy,
  ReceivedRegistration,
  RegisterFaceRequest,
  SearchFacesRequest,
  UpdateFaceRequest,
} from './face-requests';
import { hashRequest } from './registration-hash';
import { facesOfMatches } from './search-matches';

export type * from './face-requests';

/** How long a same-key registration waits for another replica's to finish, polling its claim, before a Conflict. */
const IDEMPOTENCY_WAIT_MS = 10_000;
const IDEMPOTENCY_POLL_MS = 50;
/** A claim this old belongs to a replica that died mid-registration (vendor calls time out well before). */
const IDEMPOTENCY_CLAIM_STALE_MS = 2 * 60_000;

const DEFAULT_TOP_N = 5;
const MAX_TOP_N = 100;
const DEFAULT_THRESHOLD = 0.6;

/** registerFace (with its idempotency across replicas), updateFace and searchFaces; deleteFaces is face-deletion.ts. */
export class FaceService {
  private readonly idempotencyLocks = new KeyedMutex();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly imagePolicy: ImagePolicy,
    private readonly storedImages: StoredImages,
    private readonly events: FaceEvents,
    /** The per-library gate createServices shares with FaceDeletion (see there). */
    private readonly libraryWrites: KeyedGate,
  ) {}

  async registerFace(
    request: RegisterFaceRequest,
  ): Promise<{ face: FaceRecord; replayed: boolean; detectedFaceCount?: number | null }> {
    const req = { ...request, image: await receiveImageInput(request.image, this.imagePolicy.limits) };
    const library = await requireLibrary(this.ledger, req.libraryId, 'input.libraryId');
    const vendor = this.providers.get(library.providerId);
    if (vendor.capabilities.registerFace === 'UNSUPPORTED') throw unsupported(vendor.kind, 'registerFace');
    const key = optionalText(req.idempotencyKey, 'input.idempotencyKey', LIMITS.idempotencyKey);
    if (key === null) return { ...(await this.register(library, vendor, req, null)), replayed: false };

    const requestHash = hashRequest(req);
    // Same-key requests of this process run one after another; across replicas, the ledger's claim on the key makes
    // the others wait for the first, then replay its face.
    return this.idempotencyLocks.run(`${library.providerId}\u0000${key}`, async () => {
      const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
      for (;;) {
        const claim = await this.ledger.claimIdempotencyKey(
          library.providerId,
          key,
          requestHash,
          IDEMPOTENCY_CLAIM_STALE_MS,
        );
        if (claim.state === 'claimed') {
          try {
            return { ...(await this.register(library, vendor, req, { key, requestHash })), replayed: false };
          } catch (e) {
            await this.ledger.releaseIdempotencyClaim(library.providerId, key).catch(() => undefined);
            throw e;
          }
        }
        const earlierHash = claim.state === 'done' ? claim.record.requestHash : claim.requestHash;
        if (earlierHash !== requestHash) {
          throw invalidInput(
            'input.idempotencyKey',
            `idempotencyKey '${key}' was already used for a different registerFace request; ` +
              'use a new key for a new request.',
            'IDEMPOTENCY_KEY_REUSED',
          );
        }
        if (claim.state === 'done') {
          const [face] = await this.ledger.facesByRowId([claim.record.faceRowId]);
          if (face) return { face, replayed: true };
          // The face was deleted since: the key no longer names one, so this is a new registration.
          return { ...(await this.register(library, vendor, req, null)), replayed: false };
        }
        if (Date.now() > deadline) {
          throw new FaceGraphError({
            type: 'ConflictError',
            reason: 'IDEMPOTENCY_KEY_IN_PROGRESS',
            message:
              `A registration with idempotencyKey '${key}' is still in progress; ` +
              'retry with the same key to get its face.',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, IDEMPOTENCY_POLL_MS));
      }
    });
  }

  private async register(
    library: LibraryRecord,
    vendor: FaceVendor,
    req: ReceivedRegistration,
    idempotency: { key: string; requestHash: string } | null,
  ): Promise<{ face: FaceRecord; detectedFaceCount: number | null }> {
    let person: PersonRecord | null = null;
    if (req.personId) person = await requirePersonOf(this.ledger, library, req.personId, 'input.personId');
    else if (vendor.capabilities.persons === 'NATIVE' && vendor.kind !== 'LOCAL') {
      throw invalidInput(
        'input.personId',
        `${vendor.kind} registers faces on a person: give input.personId (create one with createPerson).`,
        'REQUIRED',
      );
    }
    const limit = vendor.capabilities.maxFacesPerPerson;
    if (person && limit !== null) {
      const [held] = await this.ledger.listFacesOfPersons([person.rowId], { first: 0 });
      if (held.totalCount >= limit) {
        throw new FaceGraphError({
          type: 'QuotaExceededError',
          message:
            `A person holds at most ${limit} faces on ${vendor.kind} providers, ` +
            `and this one has ${held.totalCount}; delete one first.`,
          vendor: { providerId: library.providerId, code: 'MAX_FACES_PER_PERSON' },
        });
      }
    }
    const externalImageId = optionalText(req.externalImageId, 'input.externalImageId', LIMITS.externalImageId);
    const userData = optionalText(req.userData, 'input.userData', LIMITS.userData, true);
    const fields = req.fields == null ? {} : validateFieldValues(library.fieldSchema, req.fields, 'input.fields');
    const image = await this.prepareImage(vendor, req.image);

    const faceSelection = req.faceSelection ?? 'REJECT_MULTIPLE';
    const imageSha256 = image.kind === 'bytes' ? image.image.sha256 : null;
    const key = idempotency ? { providerId: library.providerId, ...idempotency } : undefined;
    const register = () =>
      this.storedImages.whileRegistering(imageSha256, async () => {
        const spec = { image, faceSelection, externalImageId, fields, userData };
        const registered = await vendor.registerFace(library, person, spec);
        if (image.kind === 'bytes') await this.storedImages.keep(vendor, image.image);
        const face: NewFace = {
          libraryRowId: library.rowId,
          personRowId: person?.rowId ?? null,
          vendorFaceId: registered.vendorFaceId,
          externalImageId: registered.externalImageId ?? externalImageId,
          fields,
          userData,
          boundingBox: registered.boundingBox,
          imageSha256,
          descriptor: registered.descriptor ?? null,
        };
        const detectedFaceCount = registered.detectedFaceCount ?? null;
        try {
          const recorded = await this.ledger.insertFace(face, key);
          // Straight after the commit, before anything else may run: events leave in commit order.
          this.events.registered(recorded);
          return { recorded: true as const, face: recorded, detectedFaceCount };
        } catch (error) {
          return { recorded: false as const, face, error };
        }
      });
    const outcome = await this.libraryWrites.shared(String(library.rowId), register);
    if (!outcome.recorded) {
      await this.settleUnrecorded(library, person, vendor, outcome.face);
      throw outcome.error;
    }
    await markNeedsTraining(this.ledger, vendor, library);
    return { face: outcome.face, detectedFaceCount: outcome.detectedFaceCount };
  }

  /**
   * The vendor holds a face the ledger write did not record, and the caller gets an error: take the face back at
   * the vendor, or, when that fails too, record it as PENDING so that syncLibrary settles it (ACTIVE while the
   * vendor has it, dropped once it has not). An image only it used is released either way.
   */
  private async settleUnrecorded(
    library: LibraryRecord,
    person: PersonRecord | null,
    vendor: FaceVendor,
    face: NewFace,
  ): Promise<void> {
    const unrecorded: FaceRecord = {
      ...face,
      rowId: -1,
      personExternalId: person?.externalId ?? null,
      providerId: library.providerId,
      libraryName: library.name,
      status: 'PENDING',
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const withdrawn = await vendor.deleteFace(library, unrecorded).then(
      () => true,
      () => false,
    );
    if (!withdrawn) await this.ledger.insertFace({ ...face, status: 'PENDING' }).catch(() => undefined);
    await this.storedImages.releaseUnreferenced(vendor, [face.imageSha256]);
  }

  private async prepareImage(vendor: FaceVendor, input: ReceivedImageInput): Promise<VendorImage> {
    if ((input.base64 || input.bytes) && !vendor.capabilities.imageBase64) {
      const hint = vendor.base64ImagesHint ? ` ${vendor.base64ImagesHint}` : '';
      const field = input.bytes ? 'input.image.upload' : 'input.image.base64';
      throw invalidInput(
        field,
        `${vendor.kind} providers take images by URL only: give image.url.${hint}`,
        'IMAGE_URL_REQUIRED',
      );
    }
    if (input.url && vendor.imageUrlFetchedByVendor) {
      return { kind: 'url', url: checkVendorFetchedUrl(input.url) };
    }
    const image = await loadImageInput(input, this.imagePolicy.limits, this.imagePolicy.urlFetch);
    return { kind: 'bytes', image };
  }

  async updateFace(req: UpdateFaceRequest): Promise<FaceRecord> {
    const { library, face } = await requireFace(this.ledger, req.faceId, 'input.faceId');
    const vendor = this.providers.get(library.providerId);
    if (vendor.capabilities.updateFace === 'UNSUPPORTED') throw unsupported(vendor.kind, 'updateFace');
    if (req.externalImageId === undefined && req.fields === undefined && req.userData === undefined) {
      throw invalidInput(
        'input',
        'Give at least one of externalImageId, fields or userData to change.',
        'AT_LEAST_ONE',
      );
    }
    const patch: { externalImageId?: string | null; fields?: FieldValues; userData?: string | null } = {};
    if (req.externalImageId !== undefined)
      patch.externalImageId = optionalText(req.externalImageId, 'input.externalImageId', LIMITS.externalImageId);
    if (req.userData !== undefined)
      patch.userData = optionalText(req.userData, 'input.userData', LIMITS.userData, true);
    if (req.fields !== undefined) patch.fields = mergeFields(library, face.fields, req.fields);

    const [person] = face.personRowId === null ? [null] : await this.ledger.personsByRowId([face.personRowId]);
    await vendor.updateFace(library, face, patch, person);
    const updated = await this.ledger.updateFace(face.rowId, patch);
    this.events.updated(updated);
    return updated;
  }

  async searchFaces(req: SearchFacesRequest): Promise<{ matches: { face: FaceRecord; similarity: number }[] }> {
    const received = await receiveImageInput(req.image, this.imagePolicy.limits);
    const library = await requireLibrary(this.ledger, req.libraryId, 'libraryId');
    const vendor = this.providers.get(library.providerId);
    if (vendor.capabilities.searchFaces === 'UNSUPPORTED' || !vendor.searchFaces)
      throw unsupported(vendor.kind, 'searchFaces');
    const topN = req.topN ?? DEFAULT_TOP_N;
    const threshold = req.threshold ?? DEFAULT_THRESHOLD;
    if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) {
      throw invalidInput('topN', `topN must be a whole number from 1 to ${MAX_TOP_N}; got ${topN}.`, 'RANGE');
    }
    if (!(threshold >= 0 && threshold <= 1)) {
      throw invalidInput('threshold', `threshold is a similarity from 0 to 1; got ${threshold}.`, 'RANGE');
    }
    const image = await this.prepareImage(vendor, received);
    const found = await vendor.searchFaces(library, { image, topN, threshold });
    return { matches: await facesOfMatches(this.ledger, library, found, topN) };
  }
}

function mergeFields(library: LibraryRecord, current: FieldValues, change: unknown): FieldValues {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    throw invalidInput(
      'input.fields',
      'input.fields must be an object of field names to values (null removes a field).',
      'OBJECT',
    );
  }
  const merged: Record<string, unknown> = { ...current };
  const removals: string[] = [];
  for (const [name, value] of Object.entries(change)) {
    if (value === null) removals.push(name);
    else merged[name] = value;
  }
  for (const name of removals) delete merged[name];
  return validateFieldValues(library.fieldSchema, merged, 'input.fields');
}
