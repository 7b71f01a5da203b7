import type pg from 'pg';
import { alreadyExists, FaceGraphError, invalidInput, notFound } from '../../../domain/errors';
import { faceId, libraryId, personId } from '../../../domain/global-id';
import type {
  FaceRecord,
  FieldValues,
  LibraryRecord,
  Page,
  PageArgs,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../../domain/model';
import { noteCreatedId, takePendingAudit } from '../audit-scope';
import type {
  DeletedFace,
  DescriptorMatrix,
  FaceKey,
  FacePatch,
  IdempotencyClaim,
  IdempotencyRecord,
  LedgerStore,
  LibraryCounts,
  LibraryKey,
  LibraryPatch,
  NewFace,
  NewLibrary,
  NewPerson,
  PageOptions,
  PersonKey,
  PersonPatch,
} from '../ledger-store';
import {
  type ChildQuery,
  type PagedRow,
  pageOf,
  pagePerParentStatement,
  pageStatement,
  pagesPerParent,
} from '../paging';
import { counted, faceFilter, facePageQuery, inKeyOrder, type Position, type SqlDialect } from '../query-shapes';
import {
  FACE_COLUMNS,
  type FaceRow,
  LIBRARY_COLUMNS,
  type LibraryRow,
  PERSON_COLUMNS,
  type PersonRow,
  toFace,
  toLibrary,
  toPerson,
} from '../rows';
import { PostgresAccessTables } from './access-tables';
import { PostgresLocalImages } from './local-images';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import { createPool, PgStatements, type Session } from './statements';

// Batch methods bind their keys as arrays and unnest them WITH ORDINALITY: one statement whatever the number of keys,
// and the ordinality puts results back in key order.
const PG: SqlDialect = {
  keys: {
    from: '(SELECT u.value, u.n - 1 AS key FROM unnest(?::bigint[]) WITH ORDINALITY AS u(value, n)) k',
    param: (rowIds) => rowIds,
  },
  inTextList: (column) => `${column} = ANY(?::text[])`,
  textListParam: (values) => values,
  // OFFSET 0 keeps the lateral lookup from being flattened into a join the planner may turn into a merge join over
  // every face of the table (measured: 38 ms instead of 0.3 ms for a value common in other libraries only).
  fieldDrivenFaces: 'face_fields d CROSS JOIN LATERAL (SELECT * FROM faces WHERE row_id = d.face_row_id OFFSET 0) f',
};

const ROW_IDS = PG.keys.from;

export interface PostgresLedgerOptions {
  /** Connections the pool opens at most. */
  poolSize: number;
}

export class PostgresLedger implements LedgerStore {
  private readonly db: PgStatements;
  readonly access: PostgresAccessTables;
  readonly localImages: PostgresLocalImages;
  private closed = false;

  private constructor(pool: pg.Pool) {
    this.db = new PgStatements(pool);
    this.access = new PostgresAccessTables(this.db);
    this.localImages = new PostgresLocalImages(pool);
    // Every write transaction carries the audit row of the operation it belongs to (audit-scope.ts).
    this.db.beforeCommit = async (tx) => {
      const pending = takePendingAudit();
      if (pending) await this.access.insertAuditEventIn(tx, pending);
    };
    // An idle connection that breaks (a restarted server) is dropped by the pool; without a listener it would throw.
    pool.on('error', () => undefined);
  }

  /** A pool on `connectionString` (opened lazily, nothing is checked yet). Call migrate() before use. */
  static open(connectionString: string, options: PostgresLedgerOptions): PostgresLedger {
    return new PostgresLedger(createPool(connectionString, options.poolSize));
  }

  async migrate(): Promise<void> {
    await this.db.withConnection((session) => applyMigrations(session));
  }

  async isReady(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const applied = await appliedVersions(this.db);
      return MIGRATIONS.every((m) => applied.has(m.version));
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.pool.end();
  }

  queryCount(): number {
    return this.db.count;
  }

  /** The pool's connections, for the ledger_pool_connections metric. */
  poolStats(): { total: number; idle: number; waiting: number } {
    const { totalCount, idleCount, waitingCount } = this.db.pool;
    return { total: totalCount, idle: idleCount, waiting: waitingCount };
  }

  // Libraries

  async insertLibrary(lib: NewLibrary): Promise<LibraryRecord> {
    try {
      return await this.db.transaction(async (tx) => {
        const row = await tx.row<LibraryRow>(
          `INSERT INTO libraries (provider_id, name, display_name, field_schema, vendor_meta, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            lib.providerId,
            lib.name,
            lib.displayName,
            JSON.stringify(lib.fieldSchema),
            JSON.stringify(lib.vendorMeta ?? {}),
            new Date(),
          ],
        );
        noteCreatedId(libraryId(lib.providerId, lib.name));
        return toLibrary(row!);
      });
    } catch (e) {
      if (constraintOf(e) === 'libraries_name_unique') {
        throw alreadyExists(
          'LIBRARY',
          lib.name,
          `A library named '${lib.name}' already exists in provider '${lib.providerId}'.`,
        );
      }
      throw e;
    }
  }

  async updateLibraryMeta(rowId: number, vendorMeta: Record<string, unknown>): Promise<LibraryRecord> {
    const row = await this.db.transaction((tx) =>
      tx.row<LibraryRow>(`UPDATE libraries SET vendor_meta = ? WHERE row_id = ? RETURNING *`, [
        JSON.stringify(vendorMeta),
        rowId,
      ]),
    );
    if (!row) throw notFound('LIBRARY', String(rowId));
    return toLibrary(row);
  }

  async updateLibrary(rowId: number, patch: LibraryPatch): Promise<LibraryRecord> {
    return this.db.transaction(async (tx) => {
      // FOR NO KEY UPDATE: concurrent changes of this library wait; inserts of its faces and persons do not.
      const current = await tx.row<LibraryRow>(
        `SELECT ${LIBRARY_COLUMNS} FROM libraries l WHERE l.row_id = ? FOR NO KEY UPDATE`,
        [rowId],
      );
      if (!current) throw notFound('LIBRARY', String(rowId));
      const library = toLibrary(current);
      const taken = (patch.addFields ?? []).find((f) => library.fieldSchema.some((d) => d.name === f.name));
      if (taken) {
        const message = `Library '${library.name}' already declares a field '${taken.name}'.`;
        throw invalidInput('addFields', message, 'unique');
      }
      const row = await tx.row<LibraryRow>(
        `UPDATE libraries SET display_name = ?, field_schema = ?, vendor_meta = vendor_meta || ?::jsonb
         WHERE row_id = ? RETURNING *`,
        [
          patch.displayName === undefined ? library.displayName : patch.displayName,
          JSON.stringify([...library.fieldSchema, ...(patch.addFields ?? [])]),
          JSON.stringify(patch.vendorMeta ?? {}),
          rowId,
        ],
      );
      return toLibrary(row!);
    });
  }

  async librariesByKey(keys: readonly LibraryKey[]): Promise<(LibraryRecord | null)[]> {
    const rows = await this.db.rows<LibraryRow & Position>(
      `SELECT k.n - 1 AS position, ${LIBRARY_COLUMNS}
       FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS k(provider_id, name, n)
       JOIN libraries l ON l.provider_id = k.provider_id AND l.name = k.name`,
      [keys.map((k) => k.providerId), keys.map((k) => k.name)],
    );
    return inKeyOrder(keys.length, rows, toLibrary);
  }

  async librariesByRowId(rowIds: readonly number[]): Promise<(LibraryRecord | null)[]> {
    const rows = await this.db.rows<LibraryRow & Position>(
      `SELECT k.key AS position, ${LIBRARY_COLUMNS} FROM ${ROW_IDS} JOIN libraries l ON l.row_id = k.value`,
      [rowIds],
    );
    return inKeyOrder(rowIds.length, rows, toLibrary);
  }

  async listLibraries(
    providerIds: readonly string[] | null,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<LibraryRecord>> {
    const where = providerIds === null ? 'TRUE' : PG.inTextList('l.provider_id');
    const params = providerIds === null ? [] : [providerIds];
    const query = pageStatement(
      { columns: LIBRARY_COLUMNS, from: 'libraries l', where, params, order: 'l.row_id' },
      page,
    );
    const rows = await this.db.rows<LibraryRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? (await this.db.row<{ total: number }>(`SELECT count(*) AS total FROM libraries l WHERE ${where}`, params))!
          .total
      : 0;
    return pageOf(rows, page, toLibrary, total);
  }

  async libraryCounts(rowIds: readonly number[]): Promise<LibraryCounts[]> {
    const rows = await this.db.rows<{ face_count: number; person_count: number }>(
      `SELECT (SELECT count(*) FROM faces WHERE library_row_id = k.value) AS face_count,
              (SELECT count(*) FROM persons WHERE library_row_id = k.value) AS person_count
       FROM ${ROW_IDS} ORDER BY k.key`,
      [rowIds],
    );
    return rows.map((r) => ({ faceCount: r.face_count, personCount: r.person_count }));
  }

  async deleteLibrary(rowId: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      // Locked first: a face being added to it commits before the count, and none is added after.
      const found = await tx.row(`SELECT 1 FROM libraries WHERE row_id = ? FOR UPDATE`, [rowId]);
      if (!found) throw notFound('LIBRARY', String(rowId));
      const faces = countOf(
        await tx.row<{ n: number }>(`SELECT count(*) AS n FROM faces WHERE library_row_id = ?`, [rowId]),
      );
      await tx.run(`DELETE FROM libraries WHERE row_id = ?`, [rowId]);
      return faces;
    });
  }

  // Persons

  async insertPerson(person: NewPerson): Promise<PersonRecord> {
    let rowId: number;
    try {
      rowId = await this.db.transaction(async (tx) => {
        const row = await tx.row<{ row_id: number; provider_id: string; library_name: string }>(
          `WITH inserted AS (
             INSERT INTO persons (library_row_id, external_id, name, user_data, created_at) VALUES (?, ?, ?, ?, ?)
             RETURNING row_id, library_row_id)
           SELECT i.row_id, l.provider_id, l.name AS library_name
           FROM inserted i JOIN libraries l ON l.row_id = i.library_row_id`,
          [person.libraryRowId, person.externalId, person.name, person.userData, new Date()],
        );
        noteCreatedId(personId(row!.provider_id, row!.library_name, person.externalId));
        return row!.row_id;
      });
    } catch (e) {
      const constraint = constraintOf(e);
      if (constraint === 'persons_library') throw notFound('LIBRARY', String(person.libraryRowId));
      if (constraint === 'persons_external_id_unique') {
        const libraryName = await this.libraryName(person.libraryRowId);
        const message = `A person with external id '${person.externalId}' already exists in library '${libraryName}'.`;
        throw alreadyExists('PERSON', person.externalId, message);
      }
      throw e;
    }
    return (await this.personsByRowId([rowId]))[0]!;
  }

  async updatePerson(rowId: number, patch: PersonPatch): Promise<PersonRecord> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.name !== undefined) {
      sets.push('name = ?');
      params.push(patch.name);
    }
    if (patch.userData !== undefined) {
      sets.push('user_data = ?');
      params.push(patch.userData);
    }
    if (sets.length > 0) {
      const changed = await this.db.transaction((tx) =>
        tx.run(`UPDATE persons SET ${sets.join(', ')} WHERE row_id = ?`, [...params, rowId]),
      );
      if (changed === 0) throw notFound('PERSON', String(rowId));
    }
    const [person] = await this.personsByRowId([rowId]);
    if (!person) throw notFound('PERSON', String(rowId));
    return person;
  }

  async deletePerson(rowId: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const found = await tx.row(`SELECT 1 FROM persons WHERE row_id = ? FOR UPDATE`, [rowId]);
      if (!found) throw notFound('PERSON', String(rowId));
      const faces = countOf(
        await tx.row<{ n: number }>(`SELECT count(*) AS n FROM faces WHERE person_row_id = ?`, [rowId]),
      );
      // The faces (with their field values and idempotency keys) go by cascade.
      await tx.run(`DELETE FROM persons WHERE row_id = ?`, [rowId]);
      return faces;
    });
  }

  async personsByKey(keys: readonly PersonKey[]): Promise<(PersonRecord | null)[]> {
    const rows = await this.db.rows<PersonRow & Position>(
      `SELECT k.n - 1 AS position, ${PERSON_COLUMNS}
       FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY AS k(library_row_id, external_id, n)
       JOIN persons p ON p.library_row_id = k.library_row_id AND p.external_id = k.external_id
       JOIN libraries l ON l.row_id = p.library_row_id`,
      [keys.map((k) => k.libraryRowId), keys.map((k) => k.externalId)],
    );
    return inKeyOrder(keys.length, rows, toPerson);
  }

  async personsByRowId(rowIds: readonly number[]): Promise<(PersonRecord | null)[]> {
    const rows = await this.db.rows<PersonRow & Position>(
      `SELECT k.key AS position, ${PERSON_COLUMNS}
       FROM ${ROW_IDS} JOIN persons p ON p.row_id = k.value JOIN libraries l ON l.row_id = p.library_row_id`,
      [rowIds],
    );
    return inKeyOrder(rowIds.length, rows, toPerson);
  }

  async listPersons(
    libraryRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<PersonRecord>[]> {
    return this.pagePerParent<PersonRow, PersonRecord>(
      { table: 'persons', alias: 'p', columns: PERSON_COLUMNS, parentColumn: 'library_row_id' },
      libraryRowIds,
      page,
      options,
      toPerson,
    );
  }

  /** One page of children for each parent in one statement, and, when counted, one more for all their totals. */
  private async pagePerParent<R, T>(
    q: ChildQuery,
    parentRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions,
    map: (row: R) => T,
  ): Promise<Page<T>[]> {
    const query = pagePerParentStatement(q, PG.keys, parentRowIds, page);
    const rows = await this.db.rows<R & PagedRow & Position>(query.sql, query.params);
    const totals = counted(options)
      ? (
          await this.db.rows<{ total: number }>(
            `SELECT (SELECT count(*) FROM ${q.table} WHERE ${q.parentColumn} = k.value) AS total
             FROM ${ROW_IDS} ORDER BY k.key`,
            [parentRowIds],
          )
        ).map((t) => t.total)
      : null;
    return pagesPerParent(rows, parentRowIds.length, page, map, totals);
  }

  // Faces

  async changeVersion(): Promise<string> {
    // Bumped at the commit of every write, whichever client made it (migration 3).
    return String((await this.db.row<{ value: number }>(`SELECT value FROM ledger_version`))!.value);
  }

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
      { columns: FACE_COLUMNS, from, where: q.where, params: q.params, order: q.order },
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
    return this.pagePerParent<FaceRow, FaceRecord>(
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

  async faceDescriptors(
    libraryRowId: number,
    dimensions: number,
    options: { afterRowId?: number } = {},
  ): Promise<DescriptorMatrix> {
    const rows = await this.db.rows<{ row_id: number; descriptor: Buffer }>(
      `SELECT row_id, descriptor FROM faces
       WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id > ? ORDER BY row_id`,
      [libraryRowId, options.afterRowId ?? 0],
    );
    const rowBytes = dimensions * Float32Array.BYTES_PER_ELEMENT;
    const matrix = new Float32Array(rows.length * dimensions);
    const bytes = new Uint8Array(matrix.buffer);
    const rowIds = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const { row_id: rowId, descriptor } = rows[i]!;
      if (descriptor.byteLength !== rowBytes) {
        throw new Error(
          `Face row ${rowId} has a ${descriptor.byteLength}-byte descriptor; ` +
            `${rowBytes} bytes (${dimensions} floats) were expected.`,
        );
      }
      rowIds[i] = rowId;
      bytes.set(descriptor, i * rowBytes);
    }
    return { rowIds, dimensions, matrix };
  }

  async countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number> {
    return countOf(
      await this.db.row<{ n: number }>(
        `SELECT count(*) AS n FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ?`,
        [libraryRowId, upToRowId],
      ),
    );
  }

  async faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]> {
    const rows = await this.db.rows<{ row_id: number }>(
      `SELECT row_id FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ? ORDER BY row_id`,
      [libraryRowId, upToRowId],
    );
    return rows.map((r) => r.row_id);
  }

  async claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.db.transaction(async (tx) => {
      // The claim first: INSERT ... ON CONFLICT is atomic across replicas, where a look-up then an insert is not.
      // Only then the finished record: a registration that finished meanwhile removed its claim and wrote its key in
      // one transaction, so one of the two is always seen.
      const now = new Date();
      const claimed = await tx.row<{ claimed: boolean }>(
        `INSERT INTO idempotency_claims (provider_id, key, request_hash, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (provider_id, key) DO UPDATE SET request_hash = excluded.request_hash, claimed_at = excluded.claimed_at
           WHERE idempotency_claims.claimed_at < ?
         RETURNING true AS claimed`,
        [providerId, key, requestHash, now, new Date(now.getTime() - staleAfterMs)],
      );
      const done = await idempotencyRecordIn(tx, providerId, key);
      if (done) {
        if (claimed) await tx.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
        return { state: 'done', record: done };
      }
      if (claimed) return { state: 'claimed' };
      const live = await tx.row<{ request_hash: string }>(
        `SELECT request_hash FROM idempotency_claims WHERE provider_id = ? AND key = ?`,
        [providerId, key],
      );
      // Released between the two statements: the caller polls and claims on its next turn.
      return { state: 'busy', requestHash: live?.request_hash ?? requestHash };
    });
  }

  async releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    await this.db.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
  }

  async getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return idempotencyRecordIn(this.db, providerId, key);
  }

  private async libraryName(rowId: number): Promise<string> {
    return (
      (await this.db.row<{ name: string }>(`SELECT name FROM libraries WHERE row_id = ?`, [rowId]))?.name ??
      String(rowId)
    );
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
            `'${await this.libraryName(face.libraryRowId)}'.`,
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

async function faceByRowId(session: Session, rowId: number): Promise<FaceRecord | null> {
  const row = await session.row<FaceRow>(
    `SELECT ${FACE_COLUMNS} FROM faces f JOIN libraries l ON l.row_id = f.library_row_id WHERE f.row_id = ?`,
    [rowId],
  );
  return row ? toFace(row) : null;
}

// Field values are stored as their JSON text, so 3, "3" and true stay distinct and filters compare exactly.
async function writeFaceFields(
  session: Session,
  faceRowId: number,
  libraryRowId: number,
  fields: FieldValues,
): Promise<void> {
  const entries = Object.entries(fields);
  if (entries.length === 0) return;
  await session.run(
    `INSERT INTO face_fields (face_row_id, library_row_id, name, value)
     SELECT ?, ?, n, v FROM unnest(?::text[], ?::text[]) AS e(n, v)`,
    [faceRowId, libraryRowId, entries.map(([name]) => name), entries.map(([, value]) => JSON.stringify(value))],
  );
}

const countOf = (row: { n: number } | undefined) => row?.n ?? 0;

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** The name of the unique or foreign-key constraint a statement violated (migrations name each one), or null. */
function constraintOf(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const { code, constraint } = e as { code?: unknown; constraint?: unknown };
  if (code !== UNIQUE_VIOLATION && code !== FOREIGN_KEY_VIOLATION) return null;
  return typeof constraint === 'string' ? constraint : null;
}

async function idempotencyRecordIn(session: Session, providerId: string, key: string): Promise<IdempotencyRecord | null> {
  const row = await session.row<{ request_hash: string; face_row_id: number; created_at: Date }>(
    `SELECT request_hash, face_row_id, created_at FROM idempotency_keys WHERE provider_id = ? AND key = ?`,
    [providerId, key],
  );
  if (!row) return null;
  return { providerId, key, requestHash: row.request_hash, faceRowId: row.face_row_id, createdAt: row.created_at };
}
