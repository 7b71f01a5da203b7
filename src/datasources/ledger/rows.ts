import type { BoundingBox, FaceRecord, FaceStatus, LibraryRecord, PersonRecord } from '../../domain/model';

// Column lists and row-to-record mapping, shared by both dialects. SQLite hands over timestamps as ISO-8601 text and
// JSON columns as JSON text; PostgreSQL (timestamptz, jsonb) as Dates and parsed values.

/** A JSON column: its text (SQLite) or its parsed value (PostgreSQL jsonb). */
export type JsonColumn = string | object | null;
/** A timestamp column: ISO-8601 text (SQLite) or a Date (PostgreSQL timestamptz). */
export type TimeColumn = string | Date;

export const fromJson = <T>(value: JsonColumn): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export const LIBRARY_COLUMNS = `l.row_id, l.provider_id, l.name, l.display_name, l.field_schema, l.vendor_meta,
  l.created_at`;

export const PERSON_COLUMNS = `p.row_id, p.library_row_id, l.provider_id, l.name AS library_name, p.external_id, p.name,
  p.user_data, p.created_at`;

export const FACE_COLUMNS = `f.row_id, f.library_row_id, f.person_row_id,
  (SELECT p.external_id FROM persons p WHERE p.row_id = f.person_row_id) AS person_external_id,
  l.provider_id, l.name AS library_name,
  f.vendor_face_id, f.external_image_id, f.fields, f.user_data, f.bounding_box, f.image_sha256, f.status,
  f.created_at, f.updated_at`;

export interface LibraryRow {
  row_id: number;
  provider_id: string;
  name: string;
  display_name: string | null;
  field_schema: JsonColumn;
  vendor_meta: JsonColumn;
  created_at: TimeColumn;
}

export interface PersonRow {
  row_id: number;
  library_row_id: number;
  provider_id: string;
  library_name: string;
  external_id: string;
  name: string | null;
  user_data: string | null;
  created_at: TimeColumn;
}

export interface FaceRow {
  row_id: number;
  library_row_id: number;
  person_row_id: number | null;
  person_external_id: string | null;
  provider_id: string;
  library_name: string;
  vendor_face_id: string;
  external_image_id: string | null;
  fields: JsonColumn;
  user_data: string | null;
  bounding_box: JsonColumn;
  image_sha256: string | null;
  status: FaceStatus;
  created_at: TimeColumn;
  updated_at: TimeColumn;
}

export const toLibrary = (row: LibraryRow): LibraryRecord => ({
  rowId: row.row_id,
  providerId: row.provider_id,
  name: row.name,
  displayName: row.display_name,
  fieldSchema: fromJson(row.field_schema),
  vendorMeta: fromJson(row.vendor_meta),
  createdAt: new Date(row.created_at),
});

export const toPerson = (row: PersonRow): PersonRecord => ({
  rowId: row.row_id,
  libraryRowId: row.library_row_id,
  providerId: row.provider_id,
  libraryName: row.library_name,
  externalId: row.external_id,
  name: row.name,
  userData: row.user_data,
  createdAt: new Date(row.created_at),
});

export const toFace = (row: FaceRow): FaceRecord => ({
  rowId: row.row_id,
  libraryRowId: row.library_row_id,
  personRowId: row.person_row_id,
  personExternalId: row.person_external_id,
  providerId: row.provider_id,
  libraryName: row.library_name,
  vendorFaceId: row.vendor_face_id,
  externalImageId: row.external_image_id,
  fields: fromJson(row.fields),
  userData: row.user_data,
  boundingBox: row.bounding_box === null ? null : fromJson<BoundingBox>(row.bounding_box),
  imageSha256: row.image_sha256,
  status: row.status,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});
