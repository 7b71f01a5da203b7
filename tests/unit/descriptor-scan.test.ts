import {
  centreOf,
  NearestRows,
  nearestDescriptors,
  scanOrder,
} from '../../src/datasources/vendors/local/descriptor-scan';
import { DESCRIPTOR_LENGTH } from '../../src/datasources/vendors/local/descriptor-matrix';
import { distanceToSimilarity, euclideanDistance } from '../../src/datasources/vendors/local/engine/face-engine';

const D = DESCRIPTOR_LENGTH;

/** Repeatable pseudo-random numbers in [-0.5, 0.5). */
function random(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296 - 0.5;
  };
}

/** A library like a real one: a shared centre, faces ~0.65 apart, and some near copies of the probe. */
function library(rows: number, seed: number): { matrix: Float32Array; probe: Float32Array } {
  const next = random(seed);
  const centre = Float32Array.from({ length: D }, () => next() * 0.2);
  const matrix = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) for (let k = 0; k < D; k++) matrix[i * D + k] = centre[k]! + next() * 0.14;
  const probe = Float32Array.from({ length: D }, (_, k) => centre[k]! + next() * 0.14);
  // Near copies at growing distances, and two exact duplicates (equal similarity: the lower index must come first).
  for (let c = 0; c < 12; c++) {
    const at = Math.floor(((c + 1) * rows) / 14);
    for (let k = 0; k < D; k++) matrix[at * D + k] = probe[k]! + next() * 0.01 * (c + 1);
  }
  matrix.copyWithin(Math.floor(rows / 2) * D, Math.floor(rows / 3) * D, (Math.floor(rows / 3) + 1) * D);
  return { matrix, probe };
}

/** What the search did before the scan: every row scored in full, those within the bound sorted (stable), cut. */
function reference(matrix: Float32Array, rows: number, probe: Float32Array, maxSquared: number, topN: number) {
  const scored: { index: number; similarity: number }[] = [];
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let k = 0; k < D; k++) {
      const d = probe[k]! - matrix[i * D + k]!;
      sum += d * d;
    }
    if (sum <= maxSquared) scored.push({ index: i, similarity: distanceToSimilarity(Math.sqrt(sum)) });
  }
  scored.sort((a, b) => b.similarity - a.similarity);
  return scored.slice(0, topN);
}

const bound = (threshold: number) => (threshold <= 0 ? Infinity : (1 - threshold) ** 2);

describe('nearestDescriptors', () => {
  const rows = 5000;
  const { matrix, probe } = library(rows, 42);

  it.each([
    [0.6, 5],
    [0.6, 1],
    [0.6, 100],
    [0.9, 5],
    [0.3, 20],
    [0, 10],
    [-1, 3],
    [0.99, 5],
  ])("gives exactly the full scan's best rows and similarities (threshold %s, topN %s)", (threshold, topN) => {
    const expected = reference(matrix, rows, probe, bound(threshold), topN);
    expect(nearestDescriptors(matrix, rows, D, probe, bound(threshold), topN)).toEqual(expected);
    // In the order the search uses (farthest from the library's centre first), and in a shuffled one.
    const order = scanOrder(probe, centreOf(matrix, rows, D));
    expect(nearestDescriptors(matrix, rows, D, probe, bound(threshold), topN, order)).toEqual(expected);
    const next = random(threshold * 1000 + topN);
    const shuffled = Int32Array.from({ length: D }, (_, k) => k).sort(() => next());
    expect(nearestDescriptors(matrix, rows, D, probe, bound(threshold), topN, shuffled)).toEqual(expected);
  });

  it('scanOrder is a permutation of the dimensions, those where the probe is farthest from the centre first', () => {
    const centre = centreOf(matrix, rows, D);
    const order = scanOrder(probe, centre);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: D }, (_, k) => k));
    const away = (k: number) => Math.abs(probe[k]! - centre[k]!);
    for (let i = 1; i < D; i++) expect(away(order[i - 1]!)).toBeGreaterThanOrEqual(away(order[i]!));
  });

  it('finds the planted near copies, best first, with the similarity of their full distance', () => {
    const found = nearestDescriptors(matrix, rows, D, probe, bound(0.6), 100);
    // of the 12 planted (one overwritten by the duplicate), the nearest
    expect(found.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < found.length; i++)
      expect(found[i - 1]!.similarity).toBeGreaterThanOrEqual(found[i]!.similarity);
    for (const m of found) {
      const row = matrix.subarray(m.index * D, (m.index + 1) * D);
      expect(m.similarity).toBeCloseTo(distanceToSimilarity(euclideanDistance(probe, row)), 6);
    }
  });

  it('the early stops never change the result, whatever the order of the rows', () => {
    // Rows sorted worst-first make the kept set change at almost every row: the hardest case for the bound.
    const worstFirst = reference(matrix, rows, probe, Infinity, rows)
      .map((m) => m.index)
      .reverse();
    const sorted = new Float32Array(rows * D);
    worstFirst.forEach((from, to) => sorted.set(matrix.subarray(from * D, (from + 1) * D), to * D));
    const order = scanOrder(probe, centreOf(sorted, rows, D));
    for (const topN of [1, 5, 50]) {
      const expected = reference(sorted, rows, probe, Infinity, topN);
      expect(nearestDescriptors(sorted, rows, D, probe, Infinity, topN)).toEqual(expected);
      expect(nearestDescriptors(sorted, rows, D, probe, Infinity, topN, order)).toEqual(expected);
    }
  });

  it('ties on similarity go to the lower row, as a stable sort gives them', () => {
    const same = new Float32Array(6 * D);
    for (let i = 0; i < 6; i++)
      same.set(
        probe.map((v) => v + 0.01),
        i * D,
      );
    expect(nearestDescriptors(same, 6, D, probe, Infinity, 3).map((m) => m.index)).toEqual([0, 1, 2]);
  });

  it(
    'scans only the first `rows` rows (the matrix may hold spare room), ' + 'skips NaN rows, and topN 0 finds nothing',
    () => {
      const withNaN = matrix.slice(0, 10 * D);
      withNaN.fill(Number.NaN, 0, D);
      const found = nearestDescriptors(withNaN, 5, D, probe, Infinity, 10);
      expect(found.map((m) => m.index)).toEqual(reference(withNaN, 5, probe, Infinity, 10).map((m) => m.index));
      expect(found.map((m) => m.index)).not.toContain(0);
      expect(found).toHaveLength(4);
      expect(nearestDescriptors(matrix, rows, D, probe, Infinity, 0)).toEqual([]);
    },
  );

  it('scanned in pieces (a file read a chunk at a time), it finds exactly what one scan over all of them finds', () => {
    // Pieces of uneven sizes, some of one row, cutting through the planted copies and the duplicates.
    const next = random(7);
    for (const [threshold, topN] of [
      [0.6, 5],
      [0, 20],
      [-1, 1],
      [0.3, 100],
    ] as const) {
      const expected = nearestDescriptors(matrix, rows, D, probe, bound(threshold), topN);
      const pieces = new NearestRows(D, probe, bound(threshold), topN, scanOrder(probe, centreOf(matrix, 50, D)));
      for (let first = 0; first < rows;) {
        const size = Math.min(rows - first, 1 + Math.floor((next() + 0.5) * 700));
        pieces.scan(matrix.slice(first * D, (first + size) * D), size);
        first += size;
      }
      expect(pieces.matches).toEqual(expected);
    }
  });
});
