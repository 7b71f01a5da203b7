import { alreadyExists, notFound } from '../../../domain/errors';
import type { Page, PageArgs, PersonRecord } from '../../../domain/model';
import type { NewPerson, PageOptions, PersonKey, PersonPatch } from '../ledger-store';
import { personId } from '../../../domain/global-id';
import { noteCreatedId } from '../audit-scope';
import { PERSON_COLUMNS, type PersonRow, toPerson } from '../rows';
import { inKeyOrder, type Position } from '../query-shapes';
import { Statements } from './statements';
import { constraintOf, libraryName, now, pagePerParent } from './dialect';

/** Persons of a library, paged per library in one statement. */
export class SqlitePersonTables {
  constructor(private readonly statements: Statements) {}

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
          `A person with external id '${person.externalId}' already exists in library ` +
            `'${libraryName(this.statements, person.libraryRowId)}'.`,
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

  async listPersons(
    libraryRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<PersonRecord>[]> {
    return pagePerParent<PersonRow, PersonRecord>(
      this.statements,
      { table: 'persons', alias: 'p', columns: PERSON_COLUMNS, parentColumn: 'library_row_id' },
      libraryRowIds,
      page,
      options,
      toPerson,
    );
  }
}
