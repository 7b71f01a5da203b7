import { GraphQLError, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Page, PageArgs } from '../domain/model';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const CURSOR_PREFIX = 'r:';

export function encodeCursor(rowId: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${rowId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return null;
  const rowId = Number(text.slice(CURSOR_PREFIX.length));
  return Number.isSafeInteger(rowId) && rowId >= 0 && encodeCursor(rowId) === cursor ? rowId : null;
}

/** Checks `first`/`after`; connection fields are not unions, so bad paging is a GraphQL user error. */
export function pageArgs(requested: number | null | undefined, after: string | null | undefined): PageArgs {
  const first = requested ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw userInputError(`'first' must be between 0 and ${MAX_PAGE_SIZE}; got ${first}.`, 'first');
  }
  if (after === null || after === undefined) return { first };
  const afterRowId = decodeCursor(after);
  if (afterRowId === null) throw userInputError(`'after' is not a cursor from this API: pass a pageInfo.endCursor or edge cursor.`, 'after');
  return { first, afterRowId };
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export function toConnection<T extends { rowId: number }>(page: Page<T>): Connection<T> {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node.rowId), node }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null },
    totalCount: page.totalCount,
  };
}

export function userInputError(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argumentName ? { argumentName } : {}) } });
}

/** Whether the field being resolved selects `name` directly (through fragments too). */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set &&
    set.selections.some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      return visit(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

/** Whether a connection field's totalCount is asked for (without the resolve info: assume it is). */
export function wantsTotal(info: GraphQLResolveInfo | undefined): boolean {
  return info ? selects(info, 'totalCount') : true;
}
