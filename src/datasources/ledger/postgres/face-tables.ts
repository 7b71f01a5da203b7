import { alreadyExists, FaceGraphError, notFound } from '../../../domain/errors';
import { faceId } from '../../../domain/global-id';
import type { FaceRecord, Page, PageArgs, ResolvedFaceFilter } from '../../../domain/model';
import { noteCreatedId } from '../audit-scope';
import type { DeletedFace, FaceKey, FacePatch, NewFace, PageOptions } from '../ledger-store';
import { type PagedRow, pageOf, pageStatement } from '../paging';
import { counted, faceFilter, facePageQuery, inKeyOrder, type Position } from '../query-shapes';
import { FACE_COLUMNS, type FaceRow, toFace } from '../rows';
import { PgStatements } from './statements';
import { constraintOf, faceByRowId, libraryName, pagePerParent, PG, ROW_IDS, writeFaceFields } from './dialect';

/** Faces with their field index (face_fields) and idempotency rows written in the same transaction. */
export class PostgresFaceTables {
  constructor(private readonly db: PgStatements) {}

  async insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord> {
    try {
      return await this.db.transaction(async (tx) => {
        const createdAt = new Date();
        const descriptor = face.descriptor
          ? Buffer.from(face.descriptor.buffer, face.descriptor.byteOffset, face.descriptor.byteLength)
          : null;
        const inserted = await tx.row<{ row_id: number }>(
          `INSERT INTO faces (library_row_id, person_row_id, vendor_face_id, external_image_id, fields, user_data,
                              bounding_box, image_sha256, status, descriptor, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING row_id`,
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
            descriptor,
            createdAt,
            createdAt,
          ],
        );
        const rowId = inserted!.row_id;
        await writeFaceFields(tx, rowId, face.libraryRowId, face.fields);
        if (idempotency) {
          await tx.run(
            `INSERT INTO idempotency_keys (provider_id, key, request_hash, face_row_id, created_at)
             VALUES (?, ?, ?, ?, ?)`,
            [idempotency.providerId, idempotency.key, idempotency.requestHash, rowId, createdAt],
          );
          await tx.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [
            idempotency.providerId,
            idempotency.key,
          ]);
        }
        const stored = (await faceByRowId(tx, rowId))!;
        noteCreatedId(faceId(stored.providerId, stored.libraryName, stored.vendorFaceId));
        return stored;
      });
    } catch (e) {
      throw await this.explainFaceInsertFailure(e, face, idempotency?.key);
    }
  }

  async facesByKey(keys: readonly FaceKey[]): Promise<(FaceRecord | null)[]> {
    const rows = await this.db.rows<FaceRow & Position>(
      `SELECT k.n - 1 AS position, ${FACE_COLUMNS}
       FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY AS k(library_row_id, vendor_face_id, n)
       JOIN faces f ON f.library_row_id = k.library_row_id AND f.vendor_face_id = k.vendor_face_id
       JOIN libraries l ON l.row_id = f.library_row_id`,
      [keys.map((k) => k.libraryRowId), keys.map((k) => k.vendorFaceId)],
    );
    return inKeyOrder(keys.length, rows, toFace);
  }

  async facesByRowId(rowIds: readonly number[]): Promise<(FaceRecord | null)[]> {
    const rows = await this.db.rows<FaceRow & Position>(
      `SELECT k.key AS position, ${FACE_COLUMNS}
       FROM ${ROW_IDS} JOIN faces f ON f.row_id = k.value JOIN libraries l ON l.row_id = f.library_row_id`,
      [rowIds],
    );
    return inKeyOrder(rowIds.length, rows, toFace);
  }

  async listFaces(
    libraryRowId: number,
    filter: ResolvedFaceFilter,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>> {
    const q = facePageQuery(PG, libraryRowId, filter);
    const from = `${q.from} JOIN libraries l ON l.row_id = f.library_row_id`;
    const query = pageStatement(
      { columns: FACE_COLUMNS, from, where: q.where, params: q.params, order: q.order, limitInText: q.fieldDriven },
      page,
    );
    const rows = await this.db.rows<FaceRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? (await this.db.row<{ total: number }>(
          `SELECT count(*) AS total FROM ${q.countFrom} WHERE ${q.countWhere}`,
          q.countParams,
        ))!.total
      : 0;
    return pageOf(rows, page, toFace, total);
  }

  async listFacesOfPersons(
    personRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>[]> {
    return pagePerParent<FaceRow, FaceRecord>(
      this.db,
      { table: 'faces', alias: 'f', columns: FACE_COLUMNS, parentColumn: 'person_row_id' },
      personRowIds,
      page,
      options,
      toFace,
    );
  }

  async findFaces(libraryRowId: number, filter: ResolvedFaceFilter): Promise<FaceRecord[]> {
    const { where, params } = faceFilter(PG, libraryRowId, filter);
    const rows = await this.db.rows<FaceRow>(
      `SELECT ${FACE_COLUMNS} FROM faces f JOIN libraries l ON l.row_id = f.library_row_id
       WHERE ${where} ORDER BY f.row_id`,
      params,
    );
    return rows.map(toFace);
  }

  async updateFace(rowId: number, patch: FacePatch): Promise<FaceRecord> {
    const sets = ['updated_at = ?'];
    const params: unknown[] = [new Date()];
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
    return this.db.transaction(async (tx) => {
      const updated = await tx.row<{ library_row_id: number }>(
        `UPDATE faces SET ${sets.join(', ')} WHERE row_id = ? RETURNING library_row_id`,
        [...params, rowId],
      );
      if (!updated) throw notFound('FACE', String(rowId));
      if (patch.fields !== undefined) {
        await tx.run(`DELETE FROM face_fields WHERE face_row_id = ?`, [rowId]);
        await writeFaceFields(tx, rowId, updated.library_row_id, patch.fields);
      }
      return (await faceByRowId(tx, rowId))!;
    });
  }

  async deleteFaces(rowIds: readonly number[]): Promise<DeletedFace[]> {
    const rows = await this.db.transaction((tx) =>
      tx.rows<{ row_id: number; image_sha256: string | null }>(
        `DELETE FROM faces WHERE row_id = ANY(?::bigint[]) RETURNING row_id, image_sha256`,
        [rowIds],
      ),
    );
    return rows.map((r) => ({ rowId: r.row_id, imageSha256: r.image_sha256 })).sort((a, b) => a.rowId - b.rowId);
  }

  async imagesInUse(imageSha256s: readonly string[]): Promise<string[]> {
    const rows = await this.db.rows<{ image_sha256: string }>(
      `SELECT DISTINCT image_sha256 FROM faces WHERE image_sha256 = ANY(?::text[])`,
      [imageSha256s],
    );
    return rows.map((r) => r.image_sha256);
  }

  private async explainFaceInsertFailure(
    e: unknown,
    face: NewFace,
    idempotencyKey: string | undefined,
  ): Promise<unknown> {
    switch (constraintOf(e)) {
      case 'faces_vendor_face_id_unique':
        return alreadyExists(
          'FACE',
          face.vendorFaceId,
          `A face with vendor id '${face.vendorFaceId}' already exists in library ` +
            `'${await libraryName(this.db, face.libraryRowId)}'.`,
        );
      case 'idempotency_keys_pkey':
        return new FaceGraphError({
          type: 'ConflictError',
          reason: 'IDEMPOTENCY_KEY_IN_USE',
          message:
            `The idempotency key '${idempotencyKey}' was already used by another registration; ` +
            'retry with the same key to get its result.',
        });
      case 'faces_library':
        return notFound('LIBRARY', String(face.libraryRowId));
      case 'faces_person':
        return notFound('PERSON', String(face.personRowId));
      default:
        return e;
    }
  }
}
