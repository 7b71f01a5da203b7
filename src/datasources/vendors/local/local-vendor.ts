import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { FaceGraphError, imageRejected, invalidInput } from '../../../domain/errors';
import type { Capabilities, LibraryRecord } from '../../../domain/model';
import type { LoadedImage, VendorImage } from '../../images/image';
import type { LocalImageStore, LedgerStore } from '../../ledger/ledger-store';
import type {
  FaceListing,
  FaceVendor,
  NewVendorFace,
  RegisteredFace,
  SearchRequest,
  VendorMatch,
} from '../face-vendor';
import { FaceEngineError, type DetectedFace, type FaceEngine } from './engine/face-engine';
import { DescriptorFiles } from './descriptor-file';
import { LibraryDescriptors } from './library-descriptors';
import { ImageStore } from './image-store';

const LIBRARY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Faces smaller than this (shorter side, in pixels) give unreliable descriptors; Azure's own floor is 36 px. */
export const MIN_FACE_SIDE = 40;

// The built-in provider. The ledger is its index; this adapter keeps the image bytes.
export class LocalFaceVendor implements FaceVendor {
  readonly kind = 'LOCAL' as const;
  readonly region = null;
  readonly imageUrlFetchedByVendor = false;
  readonly capabilities: Capabilities = {
    createLibrary: 'NATIVE',
    registerFace: 'NATIVE',
    updateFace: 'NATIVE',
    deleteFaces: 'NATIVE',
    deleteFacesByFilter: 'NATIVE',
    customFields: 'NATIVE',
    persons: 'NATIVE',
    updatePerson: 'NATIVE',
    deletePerson: 'NATIVE',
    searchFaces: 'NATIVE',
    imageUrl: true,
    imageBase64: true,
    maxFacesPerPerson: null,
    requiresTraining: false,
  };
  private readonly images: LocalImageStore;
  private readonly descriptors: LibraryDescriptors;

  constructor(
    readonly providerId: string,
    dataDir: string,
    private readonly ledger: LedgerStore,
    private readonly engine: FaceEngine,
  ) {
    // With a ledger that keeps images (PostgreSQL), every replica reads and writes the same ones.
    this.images = ledger.localImages ?? new ImageStore(path.join(dataDir, 'images'));
    // Per server, even with a shared ledger: a cache of the ledger, checked against it before use.
    this.descriptors = new LibraryDescriptors(ledger, new DescriptorFiles(path.join(dataDir, 'descriptors')));
  }

  normalizeLibraryName(name: string): string {
    if (!LIBRARY_NAME.test(name)) {
      throw invalidInput(
        'input.name',
        `Library name '${name}' is not allowed: use 1-64 letters, digits, '_' or '-'.`,
        'LIBRARY_NAME',
      );
    }
    return name;
  }

  async createLibrary() {
    return {};
  }

  async deleteLibrary(library: LibraryRecord): Promise<void> {
    // The ledger holds the library; its images are released by the services after the ledger commit.
    await this.descriptors.forget(library.rowId);
  }

  async createPerson(_library: LibraryRecord, spec: { externalId: string | null }) {
    return { externalId: spec.externalId ?? randomUUID() };
  }

  async updatePerson(): Promise<void> {
    // The ledger holds everything that can change about a LOCAL person.
  }

  async deletePerson(): Promise<void> {
    // The ledger holds the person; its faces' images are released by the services after the ledger commit.
  }

  isReady(): boolean {
    return this.engine.isReady();
  }

  async registerFace(_library: LibraryRecord, _person: unknown, face: NewVendorFace): Promise<RegisteredFace> {
    const image = bytesOf(face.image);
    const faces = await this.detect(image);
    if (faces.length > 1 && face.faceSelection === 'REJECT_MULTIPLE') {
      throw imageRejected(
        'MULTIPLE_FACES',
        `The image shows ${faces.length} faces; register one face per image, ` +
          'or pass faceSelection: LARGEST to register the largest.',
      );
    }
    const chosen = requireUsableFace(faces, 'registered');
    await this.images.put(image.sha256, image.bytes);
    return {
      vendorFaceId: randomUUID(),
      boundingBox: chosen.box,
      descriptor: chosen.descriptor,
      detectedFaceCount: faces.length,
    };
  }

  async searchFaces(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]> {
    const probe = requireUsableFace(await this.detect(bytesOf(request.image)), 'searched for');
    // similarity = clamp(1 - distance) >= threshold  <=>  distance^2 <= (1 - threshold)^2
    // (every face when threshold <= 0)
    const maxSquared = request.threshold <= 0 ? Infinity : (1 - request.threshold) ** 2;
    return this.descriptors.nearest(library.rowId, Float32Array.from(probe.descriptor), maxSquared, request.topN);
  }

  /** Resolves when the descriptor matrices being loaded and the files being written are done (tests, benchmarks). */
  async descriptorFilesWritten(): Promise<void> {
    await this.descriptors.settled();
  }

  async updateFace(): Promise<void> {
    // The ledger holds everything that can change about a LOCAL face.
  }

  async deleteFace(): Promise<void> {
    // Deleting the ledger row deletes the face; its image is released by the services after that commit.
  }

  async deleteFacesByFilter(): Promise<void> {
    // As deleteFace: the ledger delete is the delete.
  }

  async removeImages(imageSha256s: readonly string[]): Promise<void> {
    for (const sha of imageSha256s) await this.images.remove(sha);
  }

  readImage(imageSha256: string): Promise<Buffer | null> {
    return this.images.get(imageSha256);
  }

  async storedImages(): Promise<string[]> {
    return this.images.list();
  }

  async listFaces(library: LibraryRecord): Promise<FaceListing> {
    const faces = await this.ledger.findFaces(library.rowId, {});
    const present = [];
    for (const face of faces) {
      if (face.imageSha256 && !(await this.images.has(face.imageSha256))) continue;
      present.push({
        vendorFaceId: face.vendorFaceId,
        personExternalId: null,
        externalImageId: face.externalImageId,
        fields: face.fields,
        userData: face.userData,
        boundingBox: face.boundingBox,
      });
    }
    return { faces: present, unreadable: 0 };
  }

  /** The engine's failures in the API's terms: an unreadable image is the caller's, a crashed worker is ours. */
  private async detect(image: LoadedImage): Promise<DetectedFace[]> {
    try {
      return await this.engine.detect(image.bytes);
    } catch (e) {
      if (!(e instanceof FaceEngineError)) throw e;
      if (!e.retryable) throw imageRejected('UNSUPPORTED_FORMAT', 'The face engine could not read the image.');
      throw new FaceGraphError({
        type: 'VendorUnavailableError',
        message: 'The LOCAL face engine could not analyse the image just now; retry.',
        retryable: true,
        vendor: { providerId: this.providerId },
      });
    }
  }
}

function bytesOf(image: VendorImage): LoadedImage {
  if (image.kind !== 'bytes') throw new Error('the LOCAL provider needs the image bytes');
  return image.image;
}

/** The largest face, if there is one big enough to describe. */
function requireUsableFace(faces: DetectedFace[], purpose: string): DetectedFace {
  if (faces.length === 0)
    throw imageRejected('NO_FACE', `No face was found in the image, so nothing can be ${purpose}.`);
  const largest = faces[0];
  const side = Math.min(largest.box.width, largest.box.height);
  if (side < MIN_FACE_SIDE) {
    throw imageRejected(
      'TOO_SMALL',
      `The face is ${side} px across; faces must be at least ${MIN_FACE_SIDE} px across. Use a larger or closer photo.`,
    );
  }
  return largest;
}
