import Database from 'better-sqlite3';
import { alreadyExists, FaceGraphError, invalidInput, notFound } from '../../../domain/errors';
import type {
  FaceRecord,
  FieldValues,
  LibraryRecord,
  Page,
  PageArgs,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../../domain/model';
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
import { faceId, libraryId, personId } from '../../../domain/global-id';
import { noteCreatedId, takePendingAudit } from '../audit-scope';
import { SqliteAccessTables } from './access-tables';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import {
  type ChildQuery,
  type KeyList,
  type PagedRow,
  pageOf,
  pagePerParentStatement,
  pageStatement,
  pagesPerParent,
} from '../paging';
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
import { counted, faceFilter, facePageQuery, inKeyOrder, type Position, type SqlDialect } from '../query-shapes';
import { Statements } from './statements';

const BUSY_TIMEOUT_MS = 5000;

const SQLITE_KEYS: KeyList = { from: 'json_each(?) k', param: (rowIds) => JSON.stringify(rowIds) };

const SQLITE: SqlDialect = {
  keys: SQLITE_KEYS,
  inTextList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  textListParam: (values) => JSON.stringify(values),
  // CROSS JOIN: SQLite keeps the left table outermost.
  fieldDrivenFaces: 'face_fields d CROSS JOIN faces f ON f.row_id = d.face_row_id',
};

// Batch methods pass their keys as one JSON array and join on json_each, whose `key` is the position
// of each key: one statement whatever the number of keys, and results land back in key order.

export class SqliteLedger implements LedgerStore {
  private readonly statements: Statements;
  readonly access: SqliteAccessTables;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
    this.access = new SqliteAccessTables(this.statements);
    // Every write transaction carries the audit row of the operation it belongs to (audit-scope.ts).
    this.statements.beforeCommit = () => {
      const pending = takePendingAudit();
      if (pending) this.access.insertAuditEventNow(pending);
    };
    this.statements.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.statements.pragma('journal_mode = WAL');
    this.statements.pragma('synchronous = NORMAL');
    this.statements.pragma('foreign_keys = ON');
  }

  /** Opens (creating when missing) the database file, or ':memory:'. Call migrate() before use. */
  static open(filename: string): SqliteLedger {
    return new SqliteLedger(new Database(filename));
  }

  async migrate(): Promise<void> {
    applyMigrations(this.statements);
  }

  async isReady(): Promise<boolean> {
    if (!this.db.open) return false;
    const applied = appliedVersions(this.statements);
    return MIGRATIONS.every((m) => applied.has(m.version));
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.statements.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  queryCount(): number {
    return this.statements.count;
  }

  /** The value of a PRAGMA, e.g. 'journal_mode' (for health checks and tests). */
  pragma(name: string): unknown {
    return this.statements.pragma(name);
  }

  // Libraries

  async insertLibrary(lib: NewLibrary): Promise<LibraryRecord> {
    try {
      return this.statements.transaction(() => {
        const row = this.statements.get<LibraryRow>(
          `INSERT INTO libraries (provider_id, name, display_name, field_schema, vendor_meta, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           RETURNING *`,
          [
            lib.providerId,
            lib.name,
            lib.displayName,
            JSON.stringify(lib.fieldSchema),
            JSON.stringify(lib.vendorMeta ?? {}),
            now(),
          ],
        );
        noteCreatedId(libraryId(lib.providerId, lib.name));
        return toLibrary(row!);
      });
    } catch (e) {
      if (constraintOf(e) === 'UNIQUE') {
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
    const row = this.statements.transaction(() =>
      this.statements.get<LibraryRow>(`UPDATE libraries SET vendor_meta = ? WHERE row_id = ? RETURNING *`, [
        JSON.stringify(vendorMeta),
        rowId,
      ]),
    );
    if (!row) throw notFound('LIBRARY', String(rowId));
    return toLibrary(row);
  }

  async updateLibrary(rowId: number, patch: LibraryPatch): Promise<LibraryRecord> {
    return this.statements.transaction(() => {
      const current = this.statements.get<LibraryRow>(
        `SELECT ${LIBRARY_COLUMNS} FROM libraries l WHERE l.row_id = ?`,
        [rowId],
      );
      if (!current) throw notFound('LIBRARY', String(rowId));
      const library = toLibrary(current);
      // Checked again here, inside the write lock: another writer may have added the same name meanwhile.
      const taken = (patch.addFields ?? []).find((f) => library.fieldSchema.some((d) => d.name === f.name));
      if (taken) {
        const message = `Library '${library.name}' already declares a field '${taken.name}'.`;
        throw invalidInput('addFields', message, 'unique');
      }
      const row = this.statements.get<LibraryRow>(
        `UPDATE libraries SET display_name = ?, field_schema = ?, vendor_meta = json_patch(vendor_meta, ?)
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
    const rows = this.statements.all<LibraryRow & Position>(
      `SELECT k.key AS position, ${LIBRARY_COLUMNS}
       FROM json_each(?) k JOIN libraries l ON l.provider_id = k.value ->> 'providerId' AND l.name = k.value ->> 'name'`,
      [JSON.stringify(keys.map(({ providerId, name }) => ({ providerId, name })))],
    );
    return inKeyOrder(keys.length, rows, toLibrary);
  }

  async librariesByRowId(rowIds: readonly number[]): Promise<(LibraryRecord | null)[]> {
    const rows = this.statements.all<LibraryRow & Position>(
      `SELECT k.key AS position, ${LIBRARY_COLUMNS} FROM json_each(?) k JOIN libraries l ON l.row_id = k.value`,
      [JSON.stringify(rowIds)],
    );
    return inKeyOrder(rowIds.length, rows, toLibrary);
  }

  async listLibraries(
    providerIds: readonly string[] | null,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<LibraryRecord>> {
    const where = providerIds === null ? 'TRUE' : 'l.provider_id IN (SELECT value FROM json_each(?))';
    const params = providerIds === null ? [] : [JSON.stringify(providerIds)];
    const query = pageStatement({ columns: LIBRARY_COLUMNS, from: 'libraries l', where, params, order: 'l.row_id' }, page);
    const rows = this.statements.all<LibraryRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? this.statements.get<{ total: number }>(`SELECT count(*) AS total FROM libraries l WHERE ${where}`, params)!.total
      : 0;
    return pageOf(rows, page, toLibrary, total);
  }

  async libraryCounts(rowIds: readonly number[]): Promise<LibraryCounts[]> {
    const rows = this.statements.all<{ faceCount: number; personCount: number }>(
      `SELECT (SELECT count(*) FROM faces WHERE library_row_id = k.value) AS faceCount,
              (SELECT count(*) FROM persons WHERE library_row_id = k.value) AS personCount
       FROM json_each(?) k ORDER BY k.key`,
      [JSON.stringify(rowIds)],
    );
    return rows.map(({ faceCount, personCount }) => ({ faceCount, personCount }));
  }

  async deleteLibrary(rowId: number): Promise<number> {
    return this.statements.transaction(() => {
      const { faces } = this.statements.get<{ faces: number }>(
        `SELECT count(*) AS faces FROM faces WHERE library_row_id = ?`,
        [rowId],
      )!;
      const { changes } = this.statements.run(`DELETE FROM libraries WHERE row_id = ?`, [rowId]);
      if (changes === 0) throw notFound('LIBRARY', String(rowId));
      return faces;
    });
  }

  // Persons

  async insertPerson(person: NewPerson): Promise<PersonRecord> {
    let rowId: number;
    try {
      rowId = this.statements.transaction(() => {
        const result = this.statements.run(
          `INSERT INTO persons (library_row_id, external_id, name, user_data, created_at) VALUES (?, ?, ?, ?, ?)`,
          [person.libraryRowId, person.externalId, person.name, person.userData, now()],
        );
        const library = this.statements.get<{ provider_id: string; name: string }>(
          `SELECT provider_id, name FROM libraries WHERE row_id = ?`,
          [person.libraryRowId],
        )!;
        noteCreatedId(personId(library.provider_id, library.name, person.externalId));
        return Number(result.lastInsertRowid);
      });
    } catch (e) {
      const constraint = constraintOf(e);
      if (constraint === 'FOREIGNKEY') throw notFound('LIBRARY', String(person.libraryRowId));
      if (constraint === 'UNIQUE') {
        throw alreadyExists(
          'PERSON',
          person.externalId,
          `A person with external id '${person.externalId}' already exists in library '${this.libraryName(person.libraryRowId)}'.`,
        );
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
      const { changes } = this.statements.transaction(() =>
        this.statements.run(`UPDATE persons SET ${sets.join(', ')} WHERE row_id = ?`, [...params, rowId]),
      );
      if (changes === 0) throw notFound('PERSON', String(rowId));
    }
    const [person] = await this.personsByRowId([rowId]);
    if (!person) throw notFound('PERSON', String(rowId));
    return person;
  }

  async deletePerson(rowId: number): Promise<number> {
    return this.statements.transaction(() => {
      const { faces } = this.statements.get<{ faces: number }>(
        `SELECT count(*) AS faces FROM faces WHERE person_row_id = ?`,
        [rowId],
      )!;
      // The faces (with their field values and idempotency keys) go by cascade.
      const { changes } = this.statements.run(`DELETE FROM persons WHERE row_id = ?`, [rowId]);
      if (changes === 0) throw notFound('PERSON', String(rowId));
      return faces;
    });
  }

  async personsByKey(keys: readonly PersonKey[]): Promise<(PersonRecord | null)[]> {
    const rows = this.statements.all<PersonRow & Position>(
      `SELECT k.key AS position, ${PERSON_COLUMNS}
       FROM json_each(?) k
       JOIN persons p ON p.library_row_id = k.value ->> 'libraryRowId' AND p.external_id = k.value ->> 'externalId'
       JOIN libraries l ON l.row_id = p.library_row_id`,
      [JSON.stringify(keys.map(({ libraryRowId, externalId }) => ({ libraryRowId, externalId })))],
    );
    return inKeyOrder(keys.length, rows, toPerson);
  }

  async personsByRowId(rowIds: readonly number[]): Promise<(PersonRecord | null)[]> {
    const rows = this.statements.all<PersonRow & Position>(
      `SELECT k.key AS position, ${PERSON_COLUMNS}
       FROM json_each(?) k JOIN persons p ON p.row_id = k.value JOIN libraries l ON l.row_id = p.library_row_id`,
      [JSON.stringify(rowIds)],
    );
    return inKeyOrder(rowIds.length, rows, toPerson);
  }

  async listPersons(libraryRowIds: readonly number[], page: PageArgs, options: PageOptions = {}): Promise<Page<PersonRecord>[]> {
    return this.pagePerParent<PersonRow, PersonRecord>(
      { table: 'persons', alias: 'p', columns: PERSON_COLUMNS, parentColumn: 'library_row_id' },
      libraryRowIds,
      page,
      options,
      toPerson,
    );
  }

  /**
   * One page of children for each parent in one statement (a window over the parents' rows), and, when counted,
   * one more for all their totals: the statements a nested connection costs do not grow with its parents.
   */
  private pagePerParent<R, T>(
    q: ChildQuery,
    parentRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions,
    map: (row: R) => T,
  ): Page<T>[] {
    const query = pagePerParentStatement(q, SQLITE_KEYS, parentRowIds, page);
    const rows = this.statements.all<R & PagedRow & Position>(query.sql, query.params);
    const totals = counted(options)
      ? this.statements
          .all<{ total: number }>(
            `SELECT (SELECT count(*) FROM ${q.table} WHERE ${q.parentColumn} = k.value) AS total FROM json_each(?) k ORDER BY k.key`,
            [JSON.stringify(parentRowIds)],
          )
          .map((t) => t.total)
      : null;
    return pagesPerParent(rows, parentRowIds.length, page, map, totals);
  }

  // Faces

  async changeVersion(): Promise<string> {
    // data_version moves when another connection commits; it does not count this connection's own writes.
    // A prepared statement: db.pragma() compiles its statement on every call, and this runs on every cached read.
    return `${this.statements.writeCount}:${this.statements.all<number>('PRAGMA data_version', [], { pluck: true })[0]}`;
  }

  async insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord> {
    try {
      return this.statements.transaction(() => {
        const createdAt = now();
        const result = this.statements.run(
          // Numbered above every face that ever was (migration 2): a face row id is never reused.
          `INSERT INTO faces (row_id, library_row_id, person_row_id, vendor_face_id, external_image_id, fields, user_data,
                              bounding_box, image_sha256, status, descriptor, created_at, updated_at)
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
            `INSERT INTO idempotency_keys (provider_id, key, request_hash, face_row_id, created_at) VALUES (?, ?, ?, ?, ?)`,
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
    const query = pageStatement({ columns: FACE_COLUMNS, from, where: q.where, params: q.params, order: q.order }, page);
    const rows = this.statements.all<FaceRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? this.statements.get<{ total: number }>(`SELECT count(*) AS total FROM ${q.countFrom} WHERE ${q.countWhere}`, q.countParams)!.total
      : 0;
    return pageOf(rows, page, toFace, total);
  }

  async listFacesOfPersons(personRowIds: readonly number[], page: PageArgs, options: PageOptions = {}): Promise<Page<FaceRecord>[]> {
    return this.pagePerParent<FaceRow, FaceRecord>(
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

  async faceDescriptors(libraryRowId: number, dimensions: number, options: { afterRowId?: number } = {}): Promise<DescriptorMatrix> {
    // Raw rows, copied byte for byte into one matrix: no per-face objects or typed arrays (100,000 faces: ~0.3 s,
    // nearly all of it better-sqlite3 handing over the rows).
    const rows = this.statements.all<[number, Buffer]>(
      `SELECT row_id, descriptor FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id > ? ORDER BY row_id`,
      [libraryRowId, options.afterRowId ?? 0],
      { raw: true },
    );
    const rowBytes = dimensions * Float32Array.BYTES_PER_ELEMENT;
    const matrix = new Float32Array(rows.length * dimensions);
    const bytes = new Uint8Array(matrix.buffer);
    const rowIds = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [rowId, blob] = rows[i]!;
      if (blob.byteLength !== rowBytes) {
        throw new Error(`Face row ${rowId} has a ${blob.byteLength}-byte descriptor; ${rowBytes} bytes (${dimensions} floats) were expected.`);
      }
      rowIds[i] = rowId;
      bytes.set(blob, i * rowBytes);
    }
    return { rowIds, dimensions, matrix };
  }

  async countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number> {
    return this.statements.get<{ n: number }>(
      `SELECT count(*) AS n FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ?`,
      [libraryRowId, upToRowId],
    )!.n;
  }

  async faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]> {
    return this.statements.all<number>(
      `SELECT row_id FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ? ORDER BY row_id`,
      [libraryRowId, upToRowId],
      { pluck: true },
    );
  }

  async claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.statements.transaction(() => {
      const done = this.idempotencyRecord(providerId, key);
      if (done) return { state: 'done', record: done };
      const now = new Date();
      const live = this.statements.get<{ request_hash: string; claimed_at: string }>(
        `SELECT request_hash, claimed_at FROM idempotency_claims WHERE provider_id = ? AND key = ?`,
        [providerId, key],
      );
      if (live && now.getTime() - Date.parse(live.claimed_at) < staleAfterMs) {
        return { state: 'busy', requestHash: live.request_hash };
      }
      this.statements.run(
        `INSERT INTO idempotency_claims (provider_id, key, request_hash, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (provider_id, key) DO UPDATE SET request_hash = excluded.request_hash, claimed_at = excluded.claimed_at`,
        [providerId, key, requestHash, now.toISOString()],
      );
      return { state: 'claimed' };
    });
  }

  async releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    this.statements.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
  }

  async getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return this.idempotencyRecord(providerId, key);
  }

  private idempotencyRecord(providerId: string, key: string): IdempotencyRecord | null {
    const row = this.statements.get<{ request_hash: string; face_row_id: number; created_at: string }>(
      `SELECT request_hash, face_row_id, created_at FROM idempotency_keys WHERE provider_id = ? AND key = ?`,
      [providerId, key],
    );
    if (!row) return null;
    return {
      providerId,
      key,
      requestHash: row.request_hash,
      faceRowId: row.face_row_id,
      createdAt: new Date(row.created_at),
    };
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

  private libraryName(rowId: number): string {
    return (
      this.statements.get<{ name: string }>(`SELECT name FROM libraries WHERE row_id = ?`, [rowId])?.name ??
      String(rowId)
    );
  }

  private explainFaceInsertFailure(e: unknown, face: NewFace, idempotencyKey: string | undefined): unknown {
    switch (constraintOf(e)) {
      case 'UNIQUE':
        return alreadyExists(
          'FACE',
          face.vendorFaceId,
          `A face with vendor id '${face.vendorFaceId}' already exists in library '${this.libraryName(face.libraryRowId)}'.`,
        );
      case 'PRIMARYKEY':
        return new FaceGraphError({
          type: 'ConflictError',
          reason: 'IDEMPOTENCY_KEY_IN_USE',
          message: `The idempotency key '${idempotencyKey}' was already used by another registration; retry with the same key to get its result.`,
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

type Constraint = 'UNIQUE' | 'PRIMARYKEY' | 'FOREIGNKEY';

// By its code, not instanceof: the native addon keeps the SqliteError class of the first module instance
// (and realm) that loaded it, which is not the class a later instance (e.g. another jest test file) sees.
function constraintOf(e: unknown): Constraint | null {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return null;
  const match = /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY|FOREIGNKEY)$/.exec(code);
  return match ? (match[1] as Constraint) : null;
}

const now = () => new Date().toISOString();
