import { alreadyExists, FaceGraphError, notFound } from '../../../domain/errors';
import type { FaceRecord, FieldValues, Page, PageArgs, ResolvedFaceFilter } from '../../../domain/model';
import type { DeletedFace, FaceKey, FacePatch, NewFace, PageOptions } from '../ledger-store';
import { faceId } from '../../../domain/global-id';
import { noteCreatedId } from '../audit-scope';
import { type PagedRow, pageOf, pageStatement } from '../paging';
import { FACE_COLUMNS, type FaceRow, toFace } from '../rows';
import { counted, faceFilter, facePageQuery, inKeyOrder, type Position } from '../query-shapes';
import { Statements } from './statements';
import { constraintOf, libraryName, now, pagePerParent, SQLITE } from './dialect';

/** Faces with their field index (face_fields) and idempotency rows written in the same transaction. */
export class SqliteFaceTables {
  constructor(private readonly statements: Statements) {}

  async insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord> {
    try {
      return this.statements.transaction(() => {
        const createdAt = now();
        const result = this.statements.run(
          // Numbered above every face that ever was (migration 2): a face row id is never reused.
          `INSERT INTO faces (row_id, library_row_id, person_row_id, vendor_face_id, external_image_id, fields,
                              user_data, bounding_box, image_sha256, status, descriptor, created_at, updated_at)
           VALUES (max(coalesce((SELECT max(row_id) FROM faces), 0),
                       (SELECT value FROM ledger_counters WHERE name = 'faces_high_water')) + 1,
                   ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            face.libraryRowId,
            face.personRowId,
            face.vendorFaceId,
            face.externalImageId,
            JSON.stringify(face.fields),
            face.userData,
            face.boundingBox === null ? null : JSON.stringify(face.boundingBox),
            face.imageSha256,
            face.status ?? 'ACTIVE',
            face.descriptor
              ? Buffer.from(face.descriptor.buffer, face.descriptor.byteOffset, face.descriptor.byteLength)
              : null,
            createdAt,
            createdAt,
          ],
        );
        const rowId = Number(result.lastInsertRowid);
        this.writeFaceFields(rowId, face.libraryRowId, face.fields);
        if (idempotency) {
          this.statements.run(
            `INSERT INTO idempotency_keys (provider_id, key, request_hash, face_row_id, created_at)
             VALUES (?, ?, ?, ?, ?)`,
            [idempotency.providerId, idempotency.key, idempotency.requestHash, rowId, createdAt],
          );
          this.statements.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [
            idempotency.providerId,
            idempotency.key,
          ]);
        }
        const inserted = this.faceByRowId(rowId)!;
        noteCreatedId(faceId(inserted.providerId, inserted.libraryName, inserted.vendorFaceId));
        return inserted;
      });
    } catch (e) {
      throw this.explainFaceInsertFailure(e, face, idempotency?.key);
    }
  }

  async facesByKey(keys: readonly FaceKey[]): Promise<(FaceRecord | null)[]> {
    const rows = this.statements.all<FaceRow & Position>(
      `SELECT k.key AS position, ${FACE_COLUMNS}
       FROM json_each(?) k
       JOIN faces f ON f.library_row_id = k.value ->> 'libraryRowId' AND f.vendor_face_id = k.value ->> 'vendorFaceId'
       JOIN libraries l ON l.row_id = f.library_row_id`,
      [JSON.stringify(keys.map(({ libraryRowId, vendorFaceId }) => ({ libraryRowId, vendorFaceId })))],
    );
    return inKeyOrder(keys.length, rows, toFace);
  }

  async facesByRowId(rowIds: readonly number[]): Promise<(FaceRecord | null)[]> {
    const rows = this.statements.all<FaceRow & Position>(
      `SELECT k.key AS position, ${FACE_COLUMNS}
       FROM json_each(?) k JOIN faces f ON f.row_id = k.value JOIN libraries l ON l.row_id = f.library_row_id`,
      [JSON.stringify(rowIds)],
    );
    return inKeyOrder(rowIds.length, rows, toFace);
  }

  async listFaces(
    libraryRowId: number,
    filter: ResolvedFaceFilter,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>> {
    const q = facePageQuery(SQLITE, libraryRowId, filter);
    // CROSS JOIN keeps the planner walking the driving index in row order, either way (LIMIT stops early),
    // instead of sorting every match in a temp B-tree.
    const from = `${q.from} CROSS JOIN libraries l ON l.row_id = f.library_row_id`;
    const query = pageStatement(
      { columns: FACE_COLUMNS, from, where: q.where, params: q.params, order: q.order },
      page,
    );
    const rows = this.statements.all<FaceRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? this.statements.get<{ total: number }>(
          `SELECT count(*) AS total FROM ${q.countFrom} WHERE ${q.countWhere}`,
          q.countParams,
        )!.total
      : 0;
    return pageOf(rows, page, toFace, total);
  }

  async listFacesOfPersons(
    personRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>[]> {
    return pagePerParent<FaceRow, FaceRecord>(
      this.statements,
      { table: 'faces', alias: 'f', columns: FACE_COLUMNS, parentColumn: 'person_row_id' },
      personRowIds,
      page,
      options,
      toFace,
    );
  }

  async findFaces(libraryRowId: number, filter: ResolvedFaceFilter): Promise<FaceRecord[]> {
    const { where, params } = faceFilter(SQLITE, libraryRowId, filter);
    const rows = this.statements.all<FaceRow>(
      `SELECT ${FACE_COLUMNS} FROM faces f JOIN libraries l ON l.row_id = f.library_row_id
       WHERE ${where} ORDER BY f.row_id`,
      params,
    );
    return rows.map(toFace);
  }

  async updateFace(rowId: number, patch: FacePatch): Promise<FaceRecord> {
    const sets = ['updated_at = ?'];
    const params: unknown[] = [now()];
    if (patch.externalImageId !== undefined) {
      sets.push('external_image_id = ?');
      params.push(patch.externalImageId);
    }
    if (patch.fields !== undefined) {
      sets.push('fields = ?');
      params.push(JSON.stringify(patch.fields));
    }
    if (patch.userData !== undefined) {
      sets.push('user_data = ?');
      params.push(patch.userData);
    }
    if (patch.status !== undefined) {
      sets.push('status = ?');
      params.push(patch.status);
    }
    return this.statements.transaction(() => {
      const updated = this.statements.get<{ library_row_id: number }>(
        `UPDATE faces SET ${sets.join(', ')} WHERE row_id = ? RETURNING library_row_id`,
        [...params, rowId],
      );
      if (!updated) throw notFound('FACE', String(rowId));
      if (patch.fields !== undefined) {
        this.statements.run(`DELETE FROM face_fields WHERE face_row_id = ?`, [rowId]);
        this.writeFaceFields(rowId, updated.library_row_id, patch.fields);
      }
      return this.faceByRowId(rowId)!;
    });
  }

  async deleteFaces(rowIds: readonly number[]): Promise<DeletedFace[]> {
    const rows = this.statements.transaction(() =>
      this.statements.all<{ row_id: number; image_sha256: string | null }>(
        `DELETE FROM faces WHERE row_id IN (SELECT value FROM json_each(?)) RETURNING row_id, image_sha256`,
        [JSON.stringify(rowIds)],
      ),
    );
    return rows.map((r) => ({ rowId: r.row_id, imageSha256: r.image_sha256 })).sort((a, b) => a.rowId - b.rowId);
  }

  async imagesInUse(imageSha256s: readonly string[]): Promise<string[]> {
    return this.statements.all<string>(
      `SELECT DISTINCT image_sha256 FROM faces WHERE image_sha256 IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(imageSha256s)],
      { pluck: true },
    );
  }

  private faceByRowId(rowId: number): FaceRecord | null {
    const row = this.statements.get<FaceRow>(
      `SELECT ${FACE_COLUMNS} FROM faces f JOIN libraries l ON l.row_id = f.library_row_id WHERE f.row_id = ?`,
      [rowId],
    );
    return row ? toFace(row) : null;
  }

  // Field values are stored as their JSON text, so 3, "3" and true stay distinct and filters compare exactly.
  private writeFaceFields(faceRowId: number, libraryRowId: number, fields: FieldValues): void {
    const entries = Object.entries(fields).map(([name, value]) => [name, JSON.stringify(value)]);
    if (entries.length === 0) return;
    this.statements.run(
      `INSERT INTO face_fields (face_row_id, library_row_id, name, value)
       SELECT ?, ?, e.value ->> 0, e.value ->> 1 FROM json_each(?) e`,
      [faceRowId, libraryRowId, JSON.stringify(entries)],
    );
  }

  private explainFaceInsertFailure(e: unknown, face: NewFace, idempotencyKey: string | undefined): unknown {
    switch (constraintOf(e)) {
      case 'UNIQUE':
        return alreadyExists(
          'FACE',
          face.vendorFaceId,
          `A face with vendor id '${face.vendorFaceId}' already exists in library ` +
            `'${libraryName(this.statements, face.libraryRowId)}'.`,
        );
      case 'PRIMARYKEY':
        return new FaceGraphError({
          type: 'ConflictError',
          reason: 'IDEMPOTENCY_KEY_IN_USE',
          message:
            `The idempotency key '${idempotencyKey}' was already used by another registration; ` +
            'retry with the same key to get its result.',
        });
      case 'FOREIGNKEY': {
        const library = this.statements.get(`SELECT 1 FROM libraries WHERE row_id = ?`, [face.libraryRowId]);
        return library ? notFound('PERSON', String(face.personRowId)) : notFound('LIBRARY', String(face.libraryRowId));
      }
      default:
        return e;
    }
  }
}
