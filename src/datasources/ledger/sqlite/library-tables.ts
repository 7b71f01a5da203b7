import { alreadyExists, invalidInput, notFound } from '../../../domain/errors';
import type { LibraryRecord, Page, PageArgs } from '../../../domain/model';
import type { LibraryCounts, LibraryKey, LibraryPatch, NewLibrary, PageOptions } from '../ledger-store';
import { libraryId } from '../../../domain/global-id';
import { noteCreatedId } from '../audit-scope';
import { type PagedRow, pageOf, pageStatement } from '../paging';
import { LIBRARY_COLUMNS, type LibraryRow, toLibrary } from '../rows';
import { counted, inKeyOrder, type Position } from '../query-shapes';
import { Statements } from './statements';
import { constraintOf, now } from './dialect';

/** Libraries: their rows, field schema, vendor facts and counts. */
export class SqliteLibraryTables {
  constructor(private readonly statements: Statements) {}

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
      const current = this.statements.get<LibraryRow>(`SELECT ${LIBRARY_COLUMNS} FROM libraries l WHERE l.row_id = ?`, [
        rowId,
      ]);
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
       FROM json_each(?) k
       JOIN libraries l ON l.provider_id = k.value ->> 'providerId' AND l.name = k.value ->> 'name'`,
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
    const query = pageStatement(
      { columns: LIBRARY_COLUMNS, from: 'libraries l', where, params, order: 'l.row_id' },
      page,
    );
    const rows = this.statements.all<LibraryRow & PagedRow>(query.sql, query.params);
    const total = counted(options)
      ? this.statements.get<{ total: number }>(`SELECT count(*) AS total FROM libraries l WHERE ${where}`, params)!
          .total
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
}
