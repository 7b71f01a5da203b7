import type { Page, PageArgs } from '../../../domain/model';
import type { PageOptions } from '../ledger-store';
import { type ChildQuery, type KeyList, type PagedRow, pagePerParentStatement, pagesPerParent } from '../paging';
import { counted, type Position, type SqlDialect } from '../query-shapes';
import { Statements } from './statements';

export const SQLITE_KEYS: KeyList = { from: 'json_each(?) k', param: (rowIds) => JSON.stringify(rowIds) };

export const SQLITE: SqlDialect = {
  keys: SQLITE_KEYS,
  inTextList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  textListParam: (values) => JSON.stringify(values),
  // CROSS JOIN: SQLite keeps the left table outermost.
  fieldDrivenFaces: 'face_fields d CROSS JOIN faces f ON f.row_id = d.face_row_id',
};

// Batch methods pass their keys as one JSON array and join on json_each, whose `key` is the position
// of each key: one statement whatever the number of keys, and results land back in key order.

/**
 * One page of children for each parent in one statement (a window over the parents' rows), and, when counted,
 * one more for all their totals: the statements a nested connection costs do not grow with its parents.
 */
export function pagePerParent<R, T>(
  statements: Statements,
  q: ChildQuery,
  parentRowIds: readonly number[],
  page: PageArgs,
  options: PageOptions,
  map: (row: R) => T,
): Page<T>[] {
  const query = pagePerParentStatement(q, SQLITE_KEYS, parentRowIds, page);
  const rows = statements.all<R & PagedRow & Position>(query.sql, query.params);
  const totals = counted(options)
    ? statements
        .all<{ total: number }>(
          `SELECT (SELECT count(*) FROM ${q.table} WHERE ${q.parentColumn} = k.value) AS total
           FROM json_each(?) k ORDER BY k.key`,
          [JSON.stringify(parentRowIds)],
        )
        .map((t) => t.total)
    : null;
  return pagesPerParent(rows, parentRowIds.length, page, map, totals);
}

export function libraryName(statements: Statements, rowId: number): string {
  return (
    statements.get<{ name: string }>(`SELECT name FROM libraries WHERE row_id = ?`, [rowId])?.name ?? String(rowId)
  );
}

export type Constraint = 'UNIQUE' | 'PRIMARYKEY' | 'FOREIGNKEY';

// By its code, not instanceof: the native addon keeps the SqliteError class of the first module instance
// (and realm) that loaded it, which is not the class a later instance (e.g. another jest test file) sees.
export function constraintOf(e: unknown): Constraint | null {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return null;
  const match = /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY|FOREIGNKEY)$/.exec(code);
  return match ? (match[1] as Constraint) : null;
}

export const now = () => new Date().toISOString();
