import type { DescriptorMatrix } from '../../ledger/ledger-store';

// The LOCAL vendor's in-memory copy of a library's descriptors, and how it follows the ledger's changes.

export const DESCRIPTOR_LENGTH = 128;

/** Face i's descriptor is `matrix[i * 128 .. (i + 1) * 128)` for i < rowIds.length; the matrix may hold spare room. */
export interface CachedDescriptors {
  version: string;
  rowIds: number[];
  matrix: Float32Array;
}

/**
 * The cached rows whose ids are in `rowIds` (ascending), compacted into a new matrix; null when an id is not in
 * the cache (a face that got a descriptor later: then the whole library is read again).
 */
export function keepDescriptors(cached: CachedDescriptors, rowIds: number[]): CachedDescriptors | null {
  const matrix = new Float32Array(rowIds.length * DESCRIPTOR_LENGTH);
  let from = 0;
  let to = 0;
  while (to < rowIds.length) {
    while (from < cached.rowIds.length && cached.rowIds[from]! < rowIds[to]!) from++;
    if (cached.rowIds[from] !== rowIds[to]) return null;
    // Copy the whole run of rows kept in a row at once: deletions are few, runs are long.
    let run = 1;
    while (to + run < rowIds.length && cached.rowIds[from + run] === rowIds[to + run]) run++;
    matrix.set(cached.matrix.subarray(from * DESCRIPTOR_LENGTH, (from + run) * DESCRIPTOR_LENGTH), to * DESCRIPTOR_LENGTH);
    from += run;
    to += run;
  }
  return { version: cached.version, rowIds, matrix };
}

/** A new entry with `added` after the cached rows, growing the matrix by half when it is full. */
export function appendDescriptors(cached: CachedDescriptors, added: DescriptorMatrix, version: string): CachedDescriptors {
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
