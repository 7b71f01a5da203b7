import type { DescriptorMatrix, LedgerStore } from '../../ledger/ledger-store';

// The LOCAL vendor's in-memory copy of a library's descriptors, and how it follows the ledger's changes.

export const DESCRIPTOR_LENGTH = 128;

/** Face i's descriptor is `matrix[i * 128 .. (i + 1) * 128)` for i < rowIds.length; the matrix may hold spare room. */
export interface CachedDescriptors {
  version: string;
  rowIds: number[];
  matrix: Float32Array;
}

/**
 * The cached rows whose ids are in `rowIds` (ascending), compacted; null when an id is not in the cache (a face
 * that got a descriptor later: then the whole library is read again). `inPlace` moves the rows within the cached
 * matrix instead of copying them into a new one (allocating fresh memory is most of the cost here: 51 MB for
 * 100,000 faces); the cached entry is then no longer valid, so the caller must own it. Nothing moves when null
 * is returned.
 */
export function keepDescriptors(
  cached: CachedDescriptors,
  rowIds: number[],
  { inPlace = false }: { inPlace?: boolean } = {},
): CachedDescriptors | null {
  // Every id must be cached before a row moves.
  for (let from = 0, to = 0; to < rowIds.length; to++, from++) {
    while (from < cached.rowIds.length && cached.rowIds[from]! < rowIds[to]!) from++;
    if (cached.rowIds[from] !== rowIds[to]) return null;
  }
  const matrix = inPlace ? cached.matrix : new Float32Array(rowIds.length * DESCRIPTOR_LENGTH);
  let from = 0;
  let to = 0;
  while (to < rowIds.length) {
    while (cached.rowIds[from]! < rowIds[to]!) from++;
    // Copy the whole run of rows kept in a row at once: deletions are few, runs are long. Rows only move towards
    // the start, so copyWithin over the same matrix never reads a row it already overwrote.
    let run = 1;
    while (to + run < rowIds.length && cached.rowIds[from + run] === rowIds[to + run]) run++;
    if (!inPlace) {
      matrix.set(
        cached.matrix.subarray(from * DESCRIPTOR_LENGTH, (from + run) * DESCRIPTOR_LENGTH),
        to * DESCRIPTOR_LENGTH,
      );
    } else if (from !== to) {
      matrix.copyWithin(to * DESCRIPTOR_LENGTH, from * DESCRIPTOR_LENGTH, (from + run) * DESCRIPTOR_LENGTH);
    }
    from += run;
    to += run;
  }
  return { version: cached.version, rowIds, matrix };
}

/** A new entry with `added` after the cached rows, growing the matrix by half when it is full. */
export function appendDescriptors(
  cached: CachedDescriptors,
  added: DescriptorMatrix,
  version: string,
): CachedDescriptors {
  const used = cached.rowIds.length * DESCRIPTOR_LENGTH;
  const needed = used + added.matrix.length;
  let matrix = cached.matrix;
  if (needed > matrix.length) {
    matrix = new Float32Array(Math.max(needed, Math.ceil(matrix.length * 1.5)));
    matrix.set(cached.matrix.subarray(0, used));
  }
  matrix.set(added.matrix, used);
  return { version, rowIds: cached.rowIds.concat(added.rowIds), matrix };
}

/**
 * The faces added to the library after a copy of its descriptors (a cached matrix or a file) whose newest face is
 * `newest` with `newestDescriptor`; null when the ledger no longer has that face with that descriptor, so the copy
 * is not this ledger's (a file from another ledger, or the face deleted) and must not be used. Face row ids are
 * never reused and descriptors never change, so a copy that passes is this ledger at some earlier version.
 */
export async function addedSinceNewest(
  ledger: LedgerStore,
  libraryRowId: number,
  newest: number,
  newestDescriptor: Float32Array,
): Promise<DescriptorMatrix | null> {
  const fromNewest = await ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH, { afterRowId: newest - 1 });
  if (fromNewest.rowIds[0] !== newest) return null;
  for (let k = 0; k < DESCRIPTOR_LENGTH; k++) if (!Object.is(fromNewest.matrix[k], newestDescriptor[k])) return null;
  return {
    rowIds: fromNewest.rowIds.slice(1),
    dimensions: DESCRIPTOR_LENGTH,
    matrix: fromNewest.matrix.subarray(DESCRIPTOR_LENGTH),
  };
}

/**
 * The ids, ascending, of the copy's faces (those up to `newest`, `count` of them) that the ledger still has; null
 * when it has them all (their count tells, without listing them).
 */
export async function remainingIfAnyGone(
  ledger: LedgerStore,
  libraryRowId: number,
  newest: number,
  count: number,
): Promise<number[] | null> {
  if ((await ledger.countFaceDescriptors(libraryRowId, newest)) === count) return null;
  return ledger.faceDescriptorRowIds(libraryRowId, newest);
}
