import type {
  BoundingBox,
  FaceRecord,
  FaceStatus,
  FieldDefinition,
  FieldValues,
  LibraryRecord,
  Page,
  PageArgs,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../domain/model';

import type { AccessRecords } from './access-records';
import type { FaceImageRecords } from './face-image-records';

// The gateway's own index of libraries, persons and faces. Asynchronous on purpose: SQLite answers
// synchronously, PostgreSQL (postgres/) does not. Every batch method returns results in the order
// of its keys (null where nothing matched), which is what DataLoader needs.

export interface NewLibrary {
  providerId: string;
  name: string;
  displayName: string | null;
  fieldSchema: FieldDefinition[];
  vendorMeta?: Record<string, unknown>;
}

export interface NewPerson {
  libraryRowId: number;
  externalId: string;
  name: string | null;
  userData: string | null;
}

export interface NewFace {
  libraryRowId: number;
  personRowId: number | null;
  vendorFaceId: string;
  externalImageId: string | null;
  fields: FieldValues;
  userData: string | null;
  boundingBox: BoundingBox | null;
  imageSha256: string | null;
  status?: FaceStatus;
  /** Face descriptor (e.g. 128 float32) for local search; stored as a blob. */
  descriptor?: Float32Array | null;
}

export interface FacePatch {
  externalImageId?: string | null;
  fields?: FieldValues;
  userData?: string | null;
  status?: FaceStatus;
}

/** A change to a library: only the given parts change. */
export interface LibraryPatch {
  displayName?: string | null;
  /** Appended to the field schema; a name the library already declares is refused (InvalidInputError). */
  addFields?: FieldDefinition[];
  /** Keys set in the library's vendor facts (merged, other keys kept). */
  vendorMeta?: Record<string, unknown>;
}

/** A change to a person: only the given parts change; null clears. */
export interface PersonPatch {
  name?: string | null;
  userData?: string | null;
}

export interface IdempotencyRecord {
  providerId: string;
  key: string;
  /** sha256 of the canonical request, to refuse the same key with a different request. */
  requestHash: string;
  faceRowId: number;
  createdAt: Date;
}

export type IdempotencyClaim =
  { state: 'claimed' } | { state: 'done'; record: IdempotencyRecord } | { state: 'busy'; requestHash: string };

export interface LibraryKey {
  providerId: string;
  name: string;
}

export interface PersonKey {
  libraryRowId: number;
  externalId: string;
}

export interface FaceKey {
  libraryRowId: number;
  vendorFaceId: string;
}

export interface DeletedFace {
  rowId: number;
  imageSha256: string | null;
}

export interface LibraryCounts {
  faceCount: number;
  personCount: number;
}

/**
 * Where LOCAL keeps the image bytes of its faces, by SHA-256: files on one host (the default, with SQLite), or the
 * PostgreSQL ledger, where every replica can reach them.
 */
export interface LocalImageStore {
  put(sha256: string, bytes: Buffer): Promise<void>;
  has(sha256: string): Promise<boolean>;
  /** The bytes stored under the digest, null when there are none. */
  get(sha256: string): Promise<Buffer | null>;
  remove(sha256: string): Promise<void>;
  /** The digests of every stored image (for the start-up sweep of images no face references). */
  list(): Promise<string[]>;
}

export interface LedgerStore {
  /** API keys and the audit log. */
  readonly access: AccessRecords;
  /** The image URL signing key and the images kept of cloud faces (Face.imageUrl). */
  readonly faceImages: FaceImageRecords;
  /** Image bytes of LOCAL faces, where the ledger keeps them for every replica (PostgreSQL); absent: files. */
  readonly localImages?: LocalImageStore;
  /** Applies pending migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** True when the store is open and every migration is applied. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
  /** Number of statements run against the database since the store was opened. */
  queryCount(): number;

  /** AlreadyExistsError LIBRARY on a duplicate (providerId, name). */
  insertLibrary(lib: NewLibrary): Promise<LibraryRecord>;
  /** Replaces the library's vendor facts (e.g. whether it needs training). */
  updateLibraryMeta(rowId: number, vendorMeta: Record<string, unknown>): Promise<LibraryRecord>;
  /** Changes the library in one transaction (NotFoundError LIBRARY when it does not exist). */
  updateLibrary(rowId: number, patch: LibraryPatch): Promise<LibraryRecord>;
  librariesByKey(keys: readonly LibraryKey[]): Promise<(LibraryRecord | null)[]>;
  librariesByRowId(rowIds: readonly number[]): Promise<(LibraryRecord | null)[]>;
  /** Libraries of these providers (null: of every provider). */
  listLibraries(
    providerIds: readonly string[] | null,
    page: PageArgs,
    options?: PageOptions,
  ): Promise<Page<LibraryRecord>>;
  libraryCounts(rowIds: readonly number[]): Promise<LibraryCounts[]>;
  /** Deletes the library with its persons, faces and idempotency records; returns the number of faces removed. */
  deleteLibrary(rowId: number): Promise<number>;

  /** AlreadyExistsError PERSON on a duplicate (library, externalId). */
  insertPerson(person: NewPerson): Promise<PersonRecord>;
  /** Changes the person (NotFoundError PERSON when it does not exist). */
  updatePerson(rowId: number, patch: PersonPatch): Promise<PersonRecord>;
  /** Deletes the person with its faces (and their field values and idempotency keys); returns the faces removed. */
  deletePerson(rowId: number): Promise<number>;
  personsByKey(keys: readonly PersonKey[]): Promise<(PersonRecord | null)[]>;
  personsByRowId(rowIds: readonly number[]): Promise<(PersonRecord | null)[]>;
  /** One page of persons for each library, in one round trip. */
  listPersons(libraryRowIds: readonly number[], page: PageArgs, options?: PageOptions): Promise<Page<PersonRecord>[]>;

  /** Inserts a face; with `idempotency`, records the key in the same transaction. */
  insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord>;
  facesByKey(keys: readonly FaceKey[]): Promise<(FaceRecord | null)[]>;
  facesByRowId(rowIds: readonly number[]): Promise<(FaceRecord | null)[]>;
  /** A page of the library's faces matching the filter (all filter parts must match), in created order. */
  listFaces(
    libraryRowId: number,
    filter: ResolvedFaceFilter,
    page: PageArgs,
    options?: PageOptions,
  ): Promise<Page<FaceRecord>>;
  /** One page of faces for each person, in one round trip. */
  listFacesOfPersons(
    personRowIds: readonly number[],
    page: PageArgs,
    options?: PageOptions,
  ): Promise<Page<FaceRecord>[]>;
  /** Every face of the library matching the filter, in created order (for planning deletes and syncs). */
  findFaces(libraryRowId: number, filter: ResolvedFaceFilter): Promise<FaceRecord[]>;
  updateFace(rowId: number, patch: FacePatch): Promise<FaceRecord>;
  /**
   * Deletes the faces and returns those this call really removed (a row another call deleted first is not
   * among them), in row order, so that concurrent deletes each report a face at most once.
   */
  deleteFaces(rowIds: readonly number[]): Promise<DeletedFace[]>;
  /** The image digests of these that some face still references (for removing stored images). */
  imagesInUse(imageSha256s: readonly string[]): Promise<string[]>;
  /**
   * Descriptors of a library's faces (those after `afterRowId` only, when given), for 1:N search. A face row id
   * is never reused and a face's descriptor never changes, so a cache can add what came after its newest row.
   */
  faceDescriptors(
    libraryRowId: number,
    dimensions: number,
    options?: { afterRowId?: number },
  ): Promise<DescriptorMatrix>;
  /** How many of the library's faces up to `upToRowId` have a descriptor (a cache's check for deletions). */
  countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number>;
  /** The row ids, ascending, of the library's faces up to `upToRowId` that have a descriptor. */
  faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]>;
  /**
   * Changes whenever the ledger may have changed, through this store or any other connection (SQLite: PRAGMA
   * data_version; PostgreSQL: the ledger_version row every committing write bumps, announced by NOTIFY
   * facegraph_ledger): a cache of what the ledger answered stays valid while this stays the same.
   */
  changeVersion(): Promise<string>;

  getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null>;
  /**
   * Claims an idempotency key before the vendor is called, so that a registration with the same key on another
   * replica waits for this one instead of calling the vendor too: `claimed` (go on; insertFace with the key ends the
   * claim, releaseIdempotencyClaim gives it up), `done` (an earlier registration finished: its record), or `busy`
   * (another claim, younger than `staleAfterMs`, is live). A claim older than that is taken over: its holder died.
   */
  claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim>;
  releaseIdempotencyClaim(providerId: string, key: string): Promise<void>;
}

/**
 * The descriptors of a library's faces in row order: face i's `dimensions` floats start at
 * `matrix[i * dimensions]`.
 */
export interface DescriptorMatrix {
  rowIds: number[];
  dimensions: number;
  matrix: Float32Array;
}

/**
 * `withTotal: false` skips counting (totalCount is then 0): on a big library the count costs more than the page,
 * so the resolvers ask for it only when the query selects totalCount. Default: counted.
 */
export interface PageOptions {
  withTotal?: boolean;
}
