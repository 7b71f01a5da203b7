import type {
  BoundingBox,
  Capabilities,
  FaceRecord,
  FieldDefinition,
  FaceSelection,
  FieldValues,
  LibraryRecord,
  PersonRecord,
  ResolvedFaceFilter,
  VendorKind,
} from '../../domain/model';
import type { VendorImage } from '../images/image';

// One adapter per vendor implements this. Adapters speak to the vendor only: the ledger, planning
// and emulation of missing operations belong to the services. Failures are thrown as FaceGraphError.

export interface NewVendorLibrary {
  name: string;
  /** The vendor's kind of collection, where it has several (Azure: PersonGroup or LargePersonGroup). */
  kind: string | null;
  displayName: string | null;
  fieldSchema: FieldDefinition[];
}

export interface NewVendorPerson {
  /** The caller's id for the person, when the vendor lets the caller choose it. */
  externalId: string | null;
  name: string | null;
  userData: string | null;
}

export interface NewVendorFace {
  image: VendorImage;
  faceSelection: FaceSelection;
  externalImageId: string | null;
  fields: FieldValues;
  userData: string | null;
}

export interface RegisteredFace {
  vendorFaceId: string;
  boundingBox: BoundingBox | null;
  descriptor?: Float32Array | null;
  /** How many faces the vendor saw in the image, when it says. */
  detectedFaceCount?: number | null;
  /** The vendor's externalImageId when it generated one (FRS does when none is given). */
  externalImageId?: string | null;
}

export interface SearchRequest {
  image: VendorImage;
  topN: number;
  /** Lowest similarity (0..1) to return. */
  threshold: number;
}

/**
 * A face the vendor matched, or (Azure identify) a person, whose faces then match, or (LOCAL, whose index is the
 * ledger) the matched face's ledger row.
 */
export type VendorMatch = ({ vendorFaceId: string } | { personExternalId: string } | { faceRowId: number }) & {
  /** 0..1 */
  similarity: number;
};

export type TrainingState = 'running' | 'succeeded' | 'failed';

export interface TrainingOutcome {
  state: TrainingState;
  message: string | null;
}

export interface VendorFacePatch {
  externalImageId?: string | null;
  fields?: FieldValues;
  userData?: string | null;
}

/** A change to a library, checked already against the generic rules and the library's own fields. */
export interface VendorLibraryChange {
  /** Present when the display name changes (null clears it). */
  displayName?: string | null;
  /** Fields added to the library's schema. */
  addFields?: FieldDefinition[];
}

/** A change to a person: only the given parts change; null clears. */
export interface VendorPersonPatch {
  name?: string | null;
  userData?: string | null;
}

/** A face as the vendor lists it, for syncLibrary. */
export interface ListedFace {
  vendorFaceId: string;
  personExternalId: string | null;
  externalImageId: string | null;
  fields: FieldValues;
  userData: string | null;
  boundingBox: BoundingBox | null;
}

export interface FaceListing {
  faces: ListedFace[];
  /** Faces the vendor holds but would not let us read (e.g. past a paging cap). */
  unreadable: number;
}

export interface FaceVendor {
  readonly providerId: string;
  readonly kind: VendorKind;
  readonly region: string | null;
  readonly capabilities: Capabilities;
  /** True when the vendor downloads image URLs itself (the gateway then only checks the URL). */
  readonly imageUrlFetchedByVendor: boolean;
  /** When base64 images are refused (capabilities.imageBase64 false): how they could be enabled, if they can. */
  readonly base64ImagesHint?: string;

  /** Checks a library name against the vendor's rules and returns its canonical spelling. */
  normalizeLibraryName(name: string): string;

  createLibrary(spec: NewVendorLibrary): Promise<{ vendorMeta?: Record<string, unknown> }>;
  deleteLibrary(library: LibraryRecord): Promise<void>;
  createPerson(library: LibraryRecord, spec: NewVendorPerson): Promise<{ externalId: string }>;
  /**
   * Changes what the vendor keeps of the library and returns vendor facts to record (merged into vendorMeta).
   * Absent where the vendor keeps nothing of it that can change: the ledger then holds the whole change.
   */
  updateLibrary?(
    library: LibraryRecord,
    change: VendorLibraryChange,
  ): Promise<{ vendorMeta?: Record<string, unknown> }>;
  /** Changes the person's name and userData where the vendor keeps them (a no-op where only the ledger does). */
  updatePerson(library: LibraryRecord, person: PersonRecord, patch: VendorPersonPatch): Promise<void>;
  /**
   * Deletes the person with all its faces (`faces`: the ledger's faces of the person). A person or faces already
   * gone at the vendor count as deleted, so a retry after a failed ledger write completes.
   */
  deletePerson(library: LibraryRecord, person: PersonRecord, faces: FaceRecord[]): Promise<void>;
  registerFace(library: LibraryRecord, person: PersonRecord | null, face: NewVendorFace): Promise<RegisteredFace>;
  updateFace(
    library: LibraryRecord,
    face: FaceRecord,
    patch: VendorFacePatch,
    person: PersonRecord | null,
  ): Promise<void>;
  deleteFace(library: LibraryRecord, face: FaceRecord): Promise<void>;
  /**
   * Only where capabilities.deleteFacesByFilter is NATIVE: one vendor call for the whole filter (never given faceIds).
   * Resolves to how many faces the vendor removed, where the vendor says.
   */
  deleteFacesByFilter?(library: LibraryRecord, filter: ResolvedFaceFilter): Promise<number | void>;
  /** Where the vendor deletes only some filters in one call (MTS: a whole person): whether this one. */
  canDeleteNatively?(filter: ResolvedFaceFilter, library: LibraryRecord): boolean;
  /**
   * Where the adapter keeps image files itself (LOCAL): removes these. The services call it only for images no
   * face row references any more, after the ledger commit that removed their faces.
   */
  removeImages?(imageSha256s: readonly string[]): Promise<void>;
  /** Where the adapter keeps image files (LOCAL): the bytes of one, null when it has none by that digest. */
  readImage?(imageSha256: string): Promise<Buffer | null>;
  /** Where the adapter keeps image files: the digests of all it keeps (unfinished writes are dropped on the way). */
  storedImages?(): Promise<string[]>;
  /** Everything the vendor holds in the library, for syncLibrary. */
  listFaces(library: LibraryRecord): Promise<FaceListing>;
  /** Only where capabilities.searchFaces is not UNSUPPORTED: the best matches for the probe image's face. */
  searchFaces?(library: LibraryRecord, request: SearchRequest): Promise<VendorMatch[]>;
  /** Only where capabilities.requiresTraining: trains the library and waits (bounded) for the outcome. */
  trainLibrary?(library: LibraryRecord): Promise<TrainingOutcome>;
  /** False while the adapter cannot serve yet (e.g. models still loading); absent means always ready. */
  isReady?(): boolean;
  /** Called once when the server stops. */
  close?(): Promise<void>;
}
