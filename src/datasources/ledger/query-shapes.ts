import type { ResolvedFaceFilter } from '../../domain/model';
import type { KeyList } from './paging';
import type { PageOptions } from './ledger-store';

// Query shapes both dialects share. Statements use `?` placeholders; each dialect says how it binds a list.

export interface SqlDialect {
  /** Row ids of a batch, as rows `k(key, value)`. */
  keys: KeyList;
  /** `column` is one of a list of texts bound from one parameter. */
  inTextList(column: string): string;
  textListParam(values: readonly string[]): unknown;
  /**
   * FROM face_fields d, joined to each of its faces f, such that the planner walks d in face row order and looks up
   * one face per row (LIMIT then stops early), whatever it believes of the value's frequency.
   */
  fieldDrivenFaces: string;
}

export interface Position {
  position: number;
}

export function faceFilter(
  dialect: SqlDialect,
  libraryRowId: number,
  filter: ResolvedFaceFilter,
): { where: string; params: unknown[] } {
  const parts = ['f.library_row_id = ?'];
  const params: unknown[] = [libraryRowId];
  if (filter.vendorFaceIds != null) {
    parts.push(dialect.inTextList('f.vendor_face_id'));
    params.push(dialect.textListParam(filter.vendorFaceIds));
  }
  if (filter.externalImageId != null) {
    parts.push('f.external_image_id = ?');
    params.push(filter.externalImageId);
  }
  if (filter.personRowId != null) {
    parts.push('f.person_row_id = ?');
    params.push(filter.personRowId);
  }
  // Field values are kept as their JSON text, so 3, "3" and true stay distinct and filters compare exactly.
  for (const [name, value] of Object.entries(filter.fields ?? {})) {
    parts.push(
      `EXISTS (SELECT 1 FROM face_fields ff
               WHERE ff.library_row_id = f.library_row_id AND ff.name = ? AND ff.value = ?
                 AND ff.face_row_id = f.row_id)`,
    );
    params.push(name, JSON.stringify(value));
  }
  return { where: parts.join(' AND '), params };
}

export interface FacePageQuery {
  from: string;
  where: string;
  params: unknown[];
  order: string;
  countFrom: string;
  countWhere: string;
  countParams: unknown[];
  /** The first custom field drives: every plan walks face_fields_by_value's range for it in row order. */
  fieldDriven: boolean;
}

/**
 * The page query for listFaces. With a custom-field filter, the first field drives: face_fields_by_value
 * (library_row_id, name, value, face_row_id) holds exactly the matching faces in row order, so a page is an
 * index range and a count is a covering-index count; the other parts of the filter are checked per face.
 */
export function facePageQuery(dialect: SqlDialect, libraryRowId: number, filter: ResolvedFaceFilter): FacePageQuery {
  const [driving, ...otherFields] = Object.entries(filter.fields ?? {});
  if (!driving) {
    const { where, params } = faceFilter(dialect, libraryRowId, filter);
    return {
      from: 'faces f',
      where,
      params,
      order: 'f.row_id',
      countFrom: 'faces f',
      countWhere: where,
      countParams: params,
      fieldDriven: false,
    };
  }
  const rest = faceFilter(dialect, libraryRowId, { ...filter, fields: Object.fromEntries(otherFields) });
  const drivingWhere = 'd.library_row_id = ? AND d.name = ? AND d.value = ?';
  const drivingParams = [libraryRowId, driving[0], JSON.stringify(driving[1])];
  const onlyDriving =
    otherFields.length === 0 &&
    filter.vendorFaceIds == null &&
    filter.externalImageId == null &&
    filter.personRowId == null;
  const joined = dialect.fieldDrivenFaces;
  return {
    from: joined,
    where: `${drivingWhere} AND ${rest.where}`,
    params: [...drivingParams, ...rest.params],
    order: 'd.face_row_id',
    countFrom: onlyDriving ? 'face_fields d' : joined,
    countWhere: onlyDriving ? drivingWhere : `${drivingWhere} AND ${rest.where}`,
    countParams: onlyDriving ? drivingParams : [...drivingParams, ...rest.params],
    fieldDriven: true,
  };
}

export function inKeyOrder<R extends Position, T>(count: number, rows: R[], map: (row: R) => T): (T | null)[] {
  const out: (T | null)[] = new Array(count).fill(null);
  for (const row of rows) out[row.position] = map(row);
  return out;
}

export const counted = (options: PageOptions) => options.withTotal ?? true;
