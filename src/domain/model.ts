// The domain model shared by every layer. Nothing here knows GraphQL, SQL or HTTP.

export type VendorKind = 'LOCAL' | 'HUAWEI_FRS' | 'AZURE_FACE' | 'ALIBABA_MTS';
export type Support = 'NATIVE' | 'EMULATED' | 'UNSUPPORTED';
export type FieldType = 'STRING' | 'INTEGER' | 'LONG' | 'FLOAT' | 'DOUBLE' | 'BOOLEAN';
export const FIELD_TYPES: readonly FieldType[] = ['STRING', 'INTEGER', 'LONG', 'FLOAT', 'DOUBLE', 'BOOLEAN'];

export type FaceSelection = 'REJECT_MULTIPLE' | 'LARGEST';

export interface FieldDefinition {
  name: string;
  type: FieldType;
}

export type FieldValue = string | number | boolean;
export type FieldValues = Record<string, FieldValue>;

export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Capabilities {
  createLibrary: Support;
  registerFace: Support;
  updateFace: Support;
  deleteFaces: Support;
  deleteFacesByFilter: Support;
  customFields: Support;
  persons: Support;
  updatePerson: Support;
  deletePerson: Support;
  searchFaces: Support;
  imageUrl: boolean;
  imageBase64: boolean;
  maxFacesPerPerson: number | null;
  requiresTraining: boolean;
}

export interface LibraryRecord {
  rowId: number;
  providerId: string;
  /** The vendor's own name or id of the library (FRS face set name, Azure personGroupId, MTS CategoryId). */
  name: string;
  displayName: string | null;
  fieldSchema: FieldDefinition[];
  /** Vendor-specific facts about the library (e.g. Azure group kind), opaque to the services. */
  vendorMeta: Record<string, unknown>;
  createdAt: Date;
}

export interface PersonRecord {
  rowId: number;
  libraryRowId: number;
  providerId: string;
  libraryName: string;
  /** The vendor's person id (Azure personId, MTS PersonId) or the caller's own id. */
  externalId: string;
  name: string | null;
  userData: string | null;
  createdAt: Date;
}

/** ACTIVE: confirmed at the vendor and in the ledger. PENDING: the vendor may hold it, sync decides. */
export type FaceStatus = 'ACTIVE' | 'PENDING';

export interface FaceRecord {
  rowId: number;
  libraryRowId: number;
  personRowId: number | null;
  /** The person's vendor-side id, for adapters that address faces through their person (Azure). */
  personExternalId: string | null;
  providerId: string;
  libraryName: string;
  vendorFaceId: string;
  externalImageId: string | null;
  fields: FieldValues;
  userData: string | null;
  boundingBox: BoundingBox | null;
  imageSha256: string | null;
  status: FaceStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** A face filter after its global IDs were decoded and checked against the library. */
export interface ResolvedFaceFilter {
  vendorFaceIds?: string[];
  externalImageId?: string;
  personRowId?: number;
  /** The same person's vendor-side id, for adapters that filter at the vendor. */
  personExternalId?: string;
  fields?: FieldValues;
}

/** The rows between two cursors (either may be missing). */
export interface CursorRange {
  /** Exclusive lower bound on rowId (decoded from the `after` cursor). */
  afterRowId?: number;
  /** Exclusive upper bound on rowId (decoded from the `before` cursor). */
  beforeRowId?: number;
}

/** The first `first` rows of the range (paging forward), or its last `last` rows (paging backward). */
export type PageArgs = CursorRange & ({ first: number; last?: undefined } | { last: number; first?: undefined });

export interface Page<T> {
  /** In row order, whichever way the page was taken. */
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}
