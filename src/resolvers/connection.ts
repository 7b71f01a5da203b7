import { GraphQLError, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Page, PageArgs } from '../domain/model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/connection.types';

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

/** A connection field's paging arguments, as GraphQL hands them to the resolver. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/**
 * Checks the paging arguments; connection fields are not unions, so bad paging is a GraphQL user error.
 * `first` and `last` together are refused (the Relay spec discourages them; no client needs them). The
 * contract's `first: Int = 20` fills `first` in before any resolver runs, so `first` counts as given only
 * when the operation passes it: `last` alone pages backward, and no `first` or `last` takes the first 20.
 */
export function pageArgs(args: ConnectionArgs, info: GraphQLResolveInfo): PageArgs {
  const last = args.last ?? null;
  const firstPassed = args.first != null && passedInOperation(info, 'first');
  if (last !== null && firstPassed) {
    throw new GraphQLError(
      `'first' and 'last' cannot be used together: pass 'first' (and 'after') to page forward, ` +
        `or 'last' (and 'before') to page backward.`,
      { extensions: { code: 'BAD_USER_INPUT', argumentNames: ['first', 'last'] } },
    );
  }
  const range = {
    ...(args.after != null ? { afterRowId: cursorArgument(args.after, 'after', 'endCursor') } : {}),
    ...(args.before != null ? { beforeRowId: cursorArgument(args.before, 'before', 'startCursor') } : {}),
  };
  if (last !== null) return { last: pageSize(last, 'last'), ...range };
  return { first: pageSize(args.first ?? DEFAULT_PAGE_SIZE, 'first'), ...range };
}

function pageSize(size: number, argumentName: 'first' | 'last'): number {
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw userInputError(`'${argumentName}' must be between 0 and ${MAX_PAGE_SIZE}; got ${size}.`, argumentName);
  }
  return size;
}

function cursorArgument(cursor: string, argumentName: 'after' | 'before', pageInfoCursor: string): number {
  const rowId = decodeCursor(cursor);
  if (rowId === null) {
    throw userInputError(
      `'${argumentName}' is not a cursor from this API: pass a pageInfo.${pageInfoCursor} or edge cursor.`,
      argumentName,
    );
  }
  return rowId;
}

/** Whether the operation itself sets the argument (a literal, or a variable the request provides). */
function passedInOperation(info: GraphQLResolveInfo, argumentName: string): boolean {
  return info.fieldNodes.some((field) =>
    field.arguments?.some(
      (arg) =>
        arg.name.value === argumentName &&
        (arg.value.kind !== Kind.VARIABLE || Object.hasOwn(info.variableValues, arg.value.name.value)),
    ),
  );
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export function toConnection<T extends { rowId: number }>(page: Page<T>): Connection<T> {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node.rowId), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}

export function userInputError(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argumentName ? { argumentName } : {}) },
  });
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
