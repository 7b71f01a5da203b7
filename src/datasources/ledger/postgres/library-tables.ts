import { alreadyExists, invalidInput, notFound } from '../../../domain/errors';
import { libraryId } from '../../../domain/global-id';
import type { LibraryRecord, Page, PageArgs } from '../../../domain/model';
import { noteCreatedId } from '../audit-scope';
import type { LibraryCounts, LibraryKey, LibraryPatch, NewLibrary, PageOptions } from '../ledger-store';
import { type PagedRow, pageOf, pageStatement } from '../paging';
import { counted, inKeyOrder, type Position } from '../query-shapes';
import { LIBRARY_COLUMNS, type LibraryRow, toLibrary } from '../rows';
import { PgStatements } from './statements';
import { constraintOf, countOf, PG, ROW_IDS } from './dialect';

/** Libraries: their rows, field schema, vendor facts and counts. */
export class PostgresLibraryTables {
  constructor(private readonly db: PgStatements) {}

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
}
