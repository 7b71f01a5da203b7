import {
  appendDescriptors,
  DESCRIPTOR_LENGTH,
  keepDescriptors,
  type CachedDescriptors,
} from '../../src/datasources/vendors/local/descriptor-matrix';

// Each face's descriptor is filled with its row id, so where a row ended up is visible.
const row = (id: number) => new Float32Array(DESCRIPTOR_LENGTH).fill(id);
const matrixOf = (ids: number[], spare = 0) => {
  const m = new Float32Array((ids.length + spare) * DESCRIPTOR_LENGTH);
  ids.forEach((id, i) => m.set(row(id), i * DESCRIPTOR_LENGTH));
  return m;
};
const cache = (ids: number[], spare = 0): CachedDescriptors => ({
  version: 'v1',
  rowIds: ids,
  matrix: matrixOf(ids, spare),
});
const rowsOf = (c: CachedDescriptors) =>
  c.rowIds.map((_, i) => {
    const slice = c.matrix.subarray(i * DESCRIPTOR_LENGTH, (i + 1) * DESCRIPTOR_LENGTH);
    expect(slice.every((x) => x === slice[0])).toBe(true);
    return slice[0];
  });

describe('keepDescriptors', () => {
  it.each([
    ['one in the middle gone', [1, 2, 3, 4, 5], [1, 2, 4, 5]],
    ['the first and the last gone', [1, 2, 3, 4, 5], [2, 3, 4]],
    ['every other one gone', [1, 2, 3, 4, 5, 6], [2, 4, 6]],
    ['all gone', [1, 2, 3], []],
    ['none gone', [1, 5, 9], [1, 5, 9]],
  ])('keeps each remaining row with its own descriptor: %s', (_name, cached, remaining) => {
    const kept = keepDescriptors(cache(cached), remaining)!;
    expect(kept.rowIds).toEqual(remaining);
    expect(rowsOf(kept)).toEqual(remaining);
    // The same, moving the rows within the cached matrix.
    const owned = cache(cached);
    const inPlace = keepDescriptors(owned, remaining, { inPlace: true })!;
    expect(inPlace.matrix).toBe(owned.matrix);
    expect(inPlace.rowIds).toEqual(remaining);
    expect(rowsOf(inPlace)).toEqual(remaining);
  });

  it('gives up (null) when the ledger has a row the cache never had, before moving any row', () => {
    expect(keepDescriptors(cache([1, 3, 5]), [1, 2, 5])).toBeNull();
    expect(keepDescriptors(cache([1, 3]), [1, 3, 4])).toBeNull();
    const owned = cache([1, 3, 5, 7]);
    const before = owned.matrix.slice();
    expect(keepDescriptors(owned, [3, 5, 6], { inPlace: true })).toBeNull();
    expect(owned.matrix).toEqual(before);
  });
});

describe('appendDescriptors', () => {
  const added = (ids: number[]) => ({ rowIds: ids, dimensions: DESCRIPTOR_LENGTH, matrix: matrixOf(ids) });

  it('puts the new rows after the cached ones, under the new version', () => {
    const next = appendDescriptors(cache([1, 2]), added([7, 8, 9]), 'v2');
    expect(next.version).toBe('v2');
    expect(next.rowIds).toEqual([1, 2, 7, 8, 9]);
    expect(rowsOf(next)).toEqual([1, 2, 7, 8, 9]);
  });

  it('fills spare room in place and grows by at least half when full, leaving the old entry readable', () => {
    const old = cache([1, 2], 2);
    const inPlace = appendDescriptors(old, added([3]), 'v2');
    expect(inPlace.matrix).toBe(old.matrix);
    expect(rowsOf(old)).toEqual([1, 2]);
    const grown = appendDescriptors(inPlace, added([4, 5]), 'v3');
    expect(grown.matrix).not.toBe(old.matrix);
    expect(grown.matrix.length).toBeGreaterThanOrEqual(6 * DESCRIPTOR_LENGTH);
    expect(rowsOf(grown)).toEqual([1, 2, 3, 4, 5]);
    expect(rowsOf(inPlace)).toEqual([1, 2, 3]);
  });
});
