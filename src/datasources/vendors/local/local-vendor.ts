import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { FaceGraphError, imageRejected, invalidInput } from '../../../domain/errors';
import type { Capabilities, LibraryRecord } from '../../../domain/model';
import type { LoadedImage, VendorImage } from '../../images/image';
import type { DescriptorMatrix, LocalImageStore, LedgerStore } from '../../ledger/ledger-store';
import type { FaceListing, FaceVendor, NewVendorFace, RegisteredFace, SearchRequest, VendorMatch } from '../face-vendor';
import { FaceEngineError, type DetectedFace, type FaceEngine } from './engine/face-engine';
import { appendDescriptors, DESCRIPTOR_LENGTH, keepDescriptors, type CachedDescriptors } from './descriptor-matrix';
import { DescriptorFiles } from './descriptor-file';
import { centreOf, nearestDescriptors, scanOrder } from './descriptor-scan';
import { ImageStore } from './image-store';

const LIBRARY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Faces smaller than this (shorter side, in pixels) give unreliable descriptors; Azure's own floor is 36 px. */
export const MIN_FACE_SIDE = 40;
/** Libraries whose descriptor matrix is kept in memory (least recently searched evicted): 100,000 faces take 51 MB. */
const CACHED_LIBRARIES = 4;

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
  private readonly descriptorCache = new Map<number, CachedDescriptors>();
  private readonly refreshing = new Map<number, Promise<CachedDescriptors>>();
  private readonly files: DescriptorFiles;
  private readonly saving = new Map<number, Promise<void>>();
  /** Per matrix, where its faces sit (for the scan's order; a matrix grown in place keeps its first centre). */
  private readonly centres = new WeakMap<Float32Array, Float64Array>();

  constructor(
    readonly providerId: string,
    dataDir: string,
    private readonly ledger: LedgerStore,
    private readonly engine: FaceEngine,
  ) {
    // With a ledger that keeps images (PostgreSQL), every replica reads and writes the same ones.
    this.images = ledger.localImages ?? new ImageStore(path.join(dataDir, 'images'));
    // Per server, even with a shared ledger: a cache of the ledger, checked against it before use.
    this.files = new DescriptorFiles(path.join(dataDir, 'descriptors'));
  }

  normalizeLibraryName(name: string): string {
    if (!LIBRARY_NAME.test(name)) {
      throw invalidInput('input.name', `Library name '${name}' is not allowed: use 1-64 letters, digits, '_' or '-'.`, 'LIBRARY_NAME');
    }
    return name;
  }

  async createLibrary() {
    return {};
  }

  async deleteLibrary(library: LibraryRecord): Promise<void> {
    // The ledger holds the library; its images are released by the services after the ledger commit.
    this.descriptorCache.delete(library.rowId);
    await this.files.remove(library.rowId).catch(() => {});
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
        `The image shows ${faces.length} faces; register one face per image, or pass faceSelection: LARGEST to register the largest.`,
      );
    }
    const chosen = requireUsableFace(faces, 'registered');
    await this.images.put(image.sha256, image.bytes);
    return { vendorFaceId: randomUUID(), boundingBox: chosen.box, descriptor: chosen.descriptor, detectedFaceCount: faces.length };
  }

  async searchFaces(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]> {
    const probe = requireUsableFace(await this.detect(bytesOf(request.image)), 'searched for');
    const { rowIds, matrix } = await this.descriptorsOf(library.rowId);
    // similarity = clamp(1 - distance) >= threshold  <=>  distance^2 <= (1 - threshold)^2 (every face when threshold <= 0)
    const maxSquared = request.threshold <= 0 ? Infinity : (1 - request.threshold) ** 2;
    const p = Float32Array.from(probe.descriptor);
    let centre = this.centres.get(matrix);
    if (!centre) this.centres.set(matrix, (centre = centreOf(matrix, rowIds.length, DESCRIPTOR_LENGTH)));
    const order = scanOrder(p, centre);
    const best = nearestDescriptors(matrix, rowIds.length, DESCRIPTOR_LENGTH, p, maxSquared, request.topN, order);
    return best.map((m) => ({ faceRowId: rowIds[m.index]!, similarity: m.similarity }));
  }

  /**
   * A library's descriptors as one contiguous matrix, kept while the ledger is unchanged (any write through this
   * process or another connection to the ledger file changes its version; a stale entry is never used). After a
   * change, the faces gone are dropped (their count tells whether any is; then their ids say which: face row ids
   * are never reused and descriptors never change) and only the faces added since are read.
   * Concurrent searches of one library share one refresh.
   */
  private descriptorsOf(libraryRowId: number): Promise<CachedDescriptors> {
    const pending = this.refreshing.get(libraryRowId);
    if (pending) return pending;
    const refresh = this.refreshDescriptors(libraryRowId).finally(() => this.refreshing.delete(libraryRowId));
    this.refreshing.set(libraryRowId, refresh);
    return refresh;
  }

  private async refreshDescriptors(libraryRowId: number): Promise<CachedDescriptors> {
    const version = await this.ledger.changeVersion();
    const cached = this.descriptorCache.get(libraryRowId);
    let entry: CachedDescriptors | null = cached && cached.version === version ? cached : null;
    if (!entry && cached) entry = await this.catchUp(libraryRowId, cached, version);
    if (!entry && !cached) entry = await this.fromFile(libraryRowId, version);
    if (!entry) {
      entry = { version, ...(await this.ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH)) };
      this.saveFile(libraryRowId, entry);
    }
    // Least recently searched first out.
    this.descriptorCache.delete(libraryRowId);
    this.descriptorCache.set(libraryRowId, entry);
    for (const key of this.descriptorCache.keys()) {
      if (this.descriptorCache.size <= CACHED_LIBRARIES) break;
      this.descriptorCache.delete(key);
    }
    return entry;
  }

  /** An older matrix brought up to `version`: the faces gone dropped, those added since read; null to read all. */
  private async catchUp(
    libraryRowId: number,
    older: CachedDescriptors,
    version: string,
    addedSince?: DescriptorMatrix,
  ): Promise<CachedDescriptors | null> {
    const newest = older.rowIds.length > 0 ? older.rowIds[older.rowIds.length - 1]! : 0;
    let kept: CachedDescriptors | null = older;
    if ((await this.ledger.countFaceDescriptors(libraryRowId, newest)) !== older.rowIds.length) {
      kept = keepDescriptors(older, await this.ledger.faceDescriptorRowIds(libraryRowId, newest));
    }
    if (!kept) return null;
    const added =
      addedSince ?? (await this.ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH, { afterRowId: newest }));
    return appendDescriptors(kept, added, version);
  }

  /**
   * The matrix stored by an earlier run, brought up to date like an older cache entry; null when there is none or
   * it is not this ledger's. A file could come from another ledger (a dataDir reused) or an older copy of this
   * one: its newest face must be in the library with the same descriptor, and then what follows is a cache of
   * this ledger at some earlier version (face row ids are never reused, descriptors never change).
   */
  private async fromFile(libraryRowId: number, version: string): Promise<CachedDescriptors | null> {
    const stored = await this.files.load(libraryRowId).catch(() => null);
    if (!stored || stored.rowIds.length === 0) return null;
    const last = stored.rowIds.length - 1;
    const newest = stored.rowIds[last]!;
    const fromNewest = await this.ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH, { afterRowId: newest - 1 });
    const inLedger = fromNewest.matrix.subarray(0, DESCRIPTOR_LENGTH);
    const inFile = stored.matrix.subarray(last * DESCRIPTOR_LENGTH, (last + 1) * DESCRIPTOR_LENGTH);
    if (fromNewest.rowIds[0] !== newest || !inLedger.every((v, k) => Object.is(v, inFile[k]))) return null;
    const addedSince = {
      rowIds: fromNewest.rowIds.slice(1),
      dimensions: DESCRIPTOR_LENGTH,
      matrix: fromNewest.matrix.subarray(DESCRIPTOR_LENGTH),
    };
    const entry = await this.catchUp(libraryRowId, { version: '', ...stored }, version, addedSince);
    // Rewritten when the ledger had changed, so the next start has less to reconcile.
    const unchanged = entry && addedSince.rowIds.length === 0 && entry.rowIds.length === stored.rowIds.length;
    if (entry && !unchanged) this.saveFile(libraryRowId, entry);
    return entry;
  }

  /** Stores a library's matrix for the next run, in the background; one write per library at a time. */
  private saveFile(libraryRowId: number, entry: CachedDescriptors): void {
    if (this.saving.has(libraryRowId)) return;
    // The first rowIds.length rows never change (appends go after them; compaction makes a new matrix).
    const write = this.files
      .save(libraryRowId, entry.rowIds, entry.matrix)
      .catch(() => {
        // A cache: the next run reads the ledger instead.
      })
      .finally(() => this.saving.delete(libraryRowId));
    this.saving.set(libraryRowId, write);
  }

  /** Resolves when the descriptor files being written are written (tests, benchmarks, shutdown). */
  async descriptorFilesWritten(): Promise<void> {
    await Promise.all([...this.saving.values()]);
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
  if (faces.length === 0) throw imageRejected('NO_FACE', `No face was found in the image, so nothing can be ${purpose}.`);
  const largest = faces[0];
  const side = Math.min(largest.box.width, largest.box.height);
  if (side < MIN_FACE_SIDE) {
    throw imageRejected('TOO_SMALL', `The face is ${side} px across; faces must be at least ${MIN_FACE_SIDE} px across. Use a larger or closer photo.`);
  }
  return largest;
}
