import { distanceToSimilarity } from './engine/face-engine';

// The LOCAL search's scan: the best `topN` rows of a descriptor matrix for a probe, in one pass over the
// contiguous Float32Array, keeping only the best ones found so far.

/** A row of the matrix and its similarity to the probe. */
export interface ScanMatch {
  index: number;
  similarity: number;
}

/** Dimensions summed between two checks against the bound (the descriptor length must be a multiple of it). */
const BLOCK = 8;
/** How far above the bound a block-wise partial sum must be to drop a row (see the scan). */
const LIMIT_MARGIN = 1 + 1e-9;

/**
 * The rows among the first `rows` of `matrix` (row i at `matrix[i * dims]`) whose squared distance to `probe` is
 * at most `maxSquared`, best `topN` first: highest similarity, then lowest index, exactly as sorting every
 * qualifying row by similarity (stable) and keeping the first `topN` would give.
 *
 * Two bounds end a row early, because its partial sum only grows: `maxSquared` (the threshold), and once `topN`
 * rows are kept, the squared distance of the worst of them (a later row with a distance that large can at best tie
 * on similarity, and ties go to the lower index, which every kept row has). With faces ~0.65 apart, most rows
 * stop after a few blocks. `order` (a permutation of the dimensions) is the order the early-stop pass sums them in:
 * see scanOrder; it changes how soon rows are left, never the result.
 */
export function nearestDescriptors(
  matrix: Float32Array,
  rows: number,
  dims: number,
  probe: Float32Array,
  maxSquared: number,
  topN: number,
  order: Int32Array = identity(dims),
): ScanMatch[] {
  return new NearestRows(dims, probe, maxSquared, topN, order).scan(matrix, rows).matches;
}

/**
 * nearestDescriptors over a matrix that arrives in pieces (a descriptor file read a chunk at a time): each
 * `scan` continues where the last one stopped, row indexes counting on from the rows already scanned, so the
 * matches after the last piece are exactly those of one scan over all the pieces put end to end.
 */
export class NearestRows {
  /** Kept rows, best first. */
  readonly matches: ScanMatch[] = [];
  /** The kept rows' squared distances, for the bound. */
  private readonly sums: number[] = [];
  /** The probe in scan order, for the early-stop pass. */
  private readonly probeInOrder: Float64Array;
  private bound: number;
  /** Rows scanned so far: the index of the next piece's first row. */
  private scanned = 0;

  constructor(
    private readonly dims: number,
    private readonly probe: Float32Array,
    private readonly maxSquared: number,
    private readonly topN: number,
    private readonly order: Int32Array = identity(dims),
  ) {
    if (dims % BLOCK !== 0 || probe.length !== dims) {
      throw new Error(`descriptors of ${dims} floats (a multiple of ${BLOCK} expected), probe of ${probe.length}`);
    }
    if (order.length !== dims) throw new Error(`an order of ${order.length} dimensions for descriptors of ${dims}`);
    this.probeInOrder = Float64Array.from(order, (j) => probe[j]!);
    this.bound = maxSquared;
  }

  /** Scans the first `rows` rows of `matrix` as the rows after those scanned before. */
  scan(matrix: Float32Array, rows: number): this {
    const { dims, probe: p, probeInOrder: po, order, topN, matches: kept, sums } = this;
    const first = this.scanned;
    this.scanned += rows;
    if (topN <= 0) return this;
    let bound = this.bound;
    // The early stops compare sums taken in blocks in `order` (faster, and a row is left sooner when the
    // dimensions where the probe stands out come first; but rounded differently from a sum in dimension order)
    // with the bound raised by far more than that rounding (~1e-14 relative), so they only drop rows whose full
    // distance is past the bound. A row that gets through is summed again in dimension order, the way the full
    // scan did, so its similarity and whether it qualifies are exactly the full scan's.
    let limit = bound * LIMIT_MARGIN;
    for (let i = 0, o = 0; i < rows; i++, o += dims) {
      let partial = 0;
      let k = 0;
      do {
        const d0 = po[k]! - matrix[o + order[k]!]!;
        const d1 = po[k + 1]! - matrix[o + order[k + 1]!]!;
        const d2 = po[k + 2]! - matrix[o + order[k + 2]!]!;
        const d3 = po[k + 3]! - matrix[o + order[k + 3]!]!;
        const d4 = po[k + 4]! - matrix[o + order[k + 4]!]!;
        const d5 = po[k + 5]! - matrix[o + order[k + 5]!]!;
        const d6 = po[k + 6]! - matrix[o + order[k + 6]!]!;
        const d7 = po[k + 7]! - matrix[o + order[k + 7]!]!;
        partial += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + (d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7);
        k += BLOCK;
      } while (k < dims && partial <= limit);
      if (!(partial <= limit)) continue; // (a NaN never qualifies)
      let sum = 0;
      for (let j = 0; j < dims; j++) {
        const d = p[j]! - matrix[o + j]!;
        sum += d * d;
      }
      if (!(sum <= bound)) continue;
      const similarity = distanceToSimilarity(Math.sqrt(sum));
      if (kept.length === topN) {
        // Only a strictly higher similarity displaces the worst kept row (a tie goes to its lower index).
        if (similarity <= kept[topN - 1]!.similarity) continue;
        kept.pop();
        sums.pop();
      }
      let at = kept.length;
      while (at > 0 && kept[at - 1]!.similarity < similarity) at--;
      kept.splice(at, 0, { index: first + i, similarity });
      sums.splice(at, 0, sum);
      if (kept.length === topN) {
        bound = Math.min(this.maxSquared, sums[topN - 1]!);
        limit = bound * LIMIT_MARGIN;
      }
    }
    this.bound = bound;
    return this;
  }
}

function identity(dims: number): Int32Array {
  return Int32Array.from({ length: dims }, (_, k) => k);
}

/**
 * The dimensions by how far the probe is from the library's centre there, farthest first: another face's
 * distance to the probe grows fastest over those, so partial sums pass the bound sooner (on the bench's
 * descriptors the scan took ~0.6 of the time it took in dimension order).
 */
export function scanOrder(probe: Float32Array, centre: Float64Array): Int32Array {
  const away = Array.from(probe, (v, k) => Math.abs(v - centre[k]!));
  return Int32Array.from(identity(probe.length)).sort((a, b) => away[b]! - away[a]! || a - b);
}

/** The mean of up to `sample` rows spread over the matrix: where the library's faces sit, roughly. */
export function centreOf(matrix: Float32Array, rows: number, dims: number, sample = 1024): Float64Array {
  const centre = new Float64Array(dims);
  const taken = Math.min(rows, sample);
  for (let s = 0; s < taken; s++) {
    const o = Math.floor((s * rows) / taken) * dims;
    for (let k = 0; k < dims; k++) centre[k] = centre[k]! + matrix[o + k]!;
  }
  if (taken > 0) for (let k = 0; k < dims; k++) centre[k] = centre[k]! / taken;
  return centre;
}
