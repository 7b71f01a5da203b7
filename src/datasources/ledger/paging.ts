import type { Page, PageArgs } from '../../domain/model';

// The SQL shapes of cursor paging. Cursors are row ids, so a page is the range between its cursors walked from
// one end: ascending for `first`, descending for `last` (then put back in row order). The walk reads one row more
// than asked: that row tells whether more lies in the walking direction. When the walk starts at a cursor, the
// same statement also reads the nearest matching row on the cursor's far side (flagged `beyond_cursor`): it tells
// whether anything lies in the other direction. Both flags of a page are exact and cost no statement of their own.

/**
 * How a dialect lists the parents of a batch: a FROM item aliased `k` with columns `key` (the 0-based position of
 * each row id in the batch) and `value` (the row id), bound from one parameter. Statements use `?` placeholders.
 */
export interface KeyList {
  from: string;
  param(rowIds: readonly number[]): unknown;
}

/** What every page query selects besides the record's own columns. */
export interface PagedRow {
  row_id: number;
  /** 1 for the one row read from beyond the cursor the walk starts at; 0 for the rows of the page. */
  beyond_cursor: number;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** A list of rows of one parent (or of none): `order` is the row id, or a column equal to it that an index orders. */
export interface ListQuery {
  columns: string;
  from: string;
  where: string;
  params: readonly unknown[];
  order: string;
  /**
   * Write the limit into the statement's text instead of binding it: only for shapes whose every plan walks one
   * index range in order (the field-driven face page). PostgreSQL then keeps a generic plan of the prepared
   * statement (no planning at each run); see pageStatement for why the others bind it.
   */
  limitInText?: boolean;
}

/** The children of many parents, one page each in one statement. */
export interface ChildQuery {
  table: 'persons' | 'faces';
  alias: 'p' | 'f';
  columns: string;
  parentColumn: 'library_row_id' | 'person_row_id';
}

export function pageStatement(q: ListQuery, page: PageArgs): Statement {
  const walk = walkOf(q.order, page);
  // The limit is a parameter unless the shape allows otherwise (ListQuery.limitInText). PostgreSQL (prepared
  // statements, postgres/statements.ts) costs a generic plan as if a tenth of the rows were read when the LIMIT is
  // unknown, so it keeps one only where it is cheap at any size; with the limit written into the text it kept one
  // for the unfiltered first page of a 10,000-face library next to a 1,000,000-face one that walked the large
  // library's rows (0.4-2 s per page instead of under 1 ms).
  const limit = q.limitInText ? String(walk.limit) : '?';
  const pageRows = `SELECT 0 AS beyond_cursor, ${q.columns} FROM ${q.from}
    WHERE ${q.where} AND ${walk.range} ORDER BY ${q.order} ${walk.direction} LIMIT ${limit}`;
  const params = q.limitInText ? [...q.params, ...walk.rangeParams] : [...q.params, ...walk.rangeParams, walk.limit];
  if (!walk.farSide) return { sql: pageRows, params };
  return {
    sql: `SELECT * FROM (${pageRows}) page_rows
      UNION ALL
      SELECT * FROM (SELECT 1 AS beyond_cursor, ${q.columns} FROM ${q.from}
        WHERE ${q.where} AND ${walk.farSide.where} ORDER BY ${q.order} ${walk.farSide.direction} LIMIT 1) far_row`,
    params: [...params, ...q.params, ...walk.farSide.params],
  };
}

/** A window numbers each parent's rows in walking order; rows come with the `position` of their parent. */
export function pagePerParentStatement(
  q: ChildQuery,
  keys: KeyList,
  parentRowIds: readonly number[],
  page: PageArgs,
): Statement {
  const parents = keys.param(parentRowIds);
  const walk = walkOf(`${q.alias}.row_id`, page);
  const pageRows = `SELECT * FROM (
      SELECT k.key AS position, 0 AS beyond_cursor, ${q.columns},
             ROW_NUMBER() OVER (PARTITION BY k.key ORDER BY ${q.alias}.row_id ${walk.direction}) AS n
      FROM ${keys.from}
      JOIN ${q.table} ${q.alias} ON ${q.alias}.${q.parentColumn} = k.value AND ${walk.range}
      JOIN libraries l ON l.row_id = ${q.alias}.library_row_id
    ) numbered WHERE n <= ?`;
  const params = [parents, ...walk.rangeParams, walk.limit];
  const farSide = walkOf('row_id', page).farSide;
  if (!farSide) return { sql: pageRows, params };
  return {
    sql: `${pageRows}
      UNION ALL
      SELECT k.key AS position, 1 AS beyond_cursor, ${q.columns}, 0 AS n
      FROM ${keys.from}
      JOIN ${q.table} ${q.alias} ON ${q.alias}.row_id =
        (SELECT ${farSide.nearest}(row_id) FROM ${q.table} WHERE ${q.parentColumn} = k.value AND ${farSide.where})
      JOIN libraries l ON l.row_id = ${q.alias}.library_row_id`,
    params: [...params, parents, ...farSide.params],
  };
}

/** The page in row order with its two flags, from the rows of a page statement (in any order). */
export function pageOf<R extends PagedRow, T>(
  rows: R[],
  page: PageArgs,
  map: (row: R) => T,
  totalCount: number,
): Page<T> {
  const size = sizeOf(page);
  const inRange = rows.filter((row) => row.beyond_cursor === 0).sort((a, b) => a.row_id - b.row_id);
  const more = inRange.length > size;
  const beyond = inRange.length < rows.length;
  if (page.last !== undefined) {
    const items = inRange.slice(Math.max(0, inRange.length - size)).map(map);
    return { items, hasNextPage: beyond, hasPreviousPage: more, totalCount };
  }
  return { items: inRange.slice(0, size).map(map), hasNextPage: more, hasPreviousPage: beyond, totalCount };
}

/** One page per parent, in parent order, from the rows of a pagePerParentStatement. */
export function pagesPerParent<R extends PagedRow & { position: number }, T>(
  rows: R[],
  parentCount: number,
  page: PageArgs,
  map: (row: R) => T,
  totals: number[] | null,
): Page<T>[] {
  const rowsOfParent: R[][] = Array.from({ length: parentCount }, () => []);
  for (const row of rows) rowsOfParent[row.position]!.push(row);
  return rowsOfParent.map((parentRows, i) => pageOf(parentRows, page, map, totals ? totals[i]! : 0));
}

interface Walk {
  range: string;
  rangeParams: number[];
  direction: 'ASC' | 'DESC';
  limit: number;
  /** Where the rows beyond the starting cursor are, nearest first; null when the walk starts at an end. */
  farSide: { where: string; params: number[]; direction: 'ASC' | 'DESC'; nearest: 'max' | 'min' } | null;
}

function walkOf(column: string, page: PageArgs): Walk {
  const bounds: string[] = [];
  const rangeParams: number[] = [];
  if (page.afterRowId !== undefined) {
    bounds.push(`${column} > ?`);
    rangeParams.push(page.afterRowId);
  }
  if (page.beforeRowId !== undefined) {
    bounds.push(`${column} < ?`);
    rangeParams.push(page.beforeRowId);
  }
  const backward = page.last !== undefined;
  const start = backward ? page.beforeRowId : page.afterRowId;
  const limit = sizeOf(page) + 1;
  // pageStatement may write it into SQL text: a whole number, whatever the caller passed.
  if (!Number.isSafeInteger(limit)) throw new RangeError(`page size ${limit - 1} is not a whole number`);
  return {
    range: bounds.length > 0 ? bounds.join(' AND ') : 'TRUE',
    rangeParams,
    direction: backward ? 'DESC' : 'ASC',
    limit,
    farSide:
      start === undefined
        ? null
        : backward
          ? { where: `${column} >= ?`, params: [start], direction: 'ASC', nearest: 'min' }
          : { where: `${column} <= ?`, params: [start], direction: 'DESC', nearest: 'max' },
  };
}

const sizeOf = (page: PageArgs) => Math.max(0, Math.floor(page.last !== undefined ? page.last : page.first));
