import { alreadyExists, notFound } from '../../../domain/errors';
import { personId } from '../../../domain/global-id';
import type { Page, PageArgs, PersonRecord } from '../../../domain/model';
import { noteCreatedId } from '../audit-scope';
import type { NewPerson, PageOptions, PersonKey, PersonPatch } from '../ledger-store';
import { inKeyOrder, type Position } from '../query-shapes';
import { PERSON_COLUMNS, type PersonRow, toPerson } from '../rows';
import { PgStatements } from './statements';
import { constraintOf, countOf, pagePerParent, ROW_IDS, libraryName } from './dialect';

/** Persons of a library, paged per library in one statement. */
export class PostgresPersonTables {
  constructor(private readonly db: PgStatements) {}

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
        const library = await libraryName(this.db, person.libraryRowId);
        const message = `A person with external id '${person.externalId}' already exists in library '${library}'.`;
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
    return pagePerParent<PersonRow, PersonRecord>(
      this.db,
      { table: 'persons', alias: 'p', columns: PERSON_COLUMNS, parentColumn: 'library_row_id' },
      libraryRowIds,
      page,
      options,
      toPerson,
    );
  }
}
