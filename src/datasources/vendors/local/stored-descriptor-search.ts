import type { LedgerStore } from '../../ledger/ledger-store';
import type { VendorMatch } from '../face-vendor';
import type { StoredDescriptorFile } from './descriptor-file';
import { addedSinceNewest, DESCRIPTOR_LENGTH, remainingIfAnyGone } from './descriptor-matrix';
import { centreOf, NearestRows, scanOrder } from './descriptor-scan';

// The first search of a library after a start, answered from its descriptor file a chunk at a time instead of
// loading the file into a matrix first. On this kind of VM the first touch of fresh memory is what a load costs
// (100,000 faces: 51 MB, 200-500 ms to allocate and fill), while the file's pages are already in the OS cache and
// are copied into one reused chunk at memory speed. The matrix is loaded after the answer, for the searches after.

/** Rows per chunk: 2 MiB of descriptors. */
export const CHUNK_ROWS = 4096;

export interface StoredSearch {
  ledger: LedgerStore;
  libraryRowId: number;
  stored: StoredDescriptorFile;
  probe: Float32Array;
  maxSquared: number;
  topN: number;
  /** What each read of the file fills: CHUNK_ROWS rows (fewer in tests), a whole number of them. */
  chunk: Float32Array;
}

/**
 * The search over the file reconciled with the ledger exactly as an in-memory matrix is (local-vendor's catch-up):
 * the faces deleted since it was written left out, those added since read from the ledger and scanned after it,
 * so the matches are the ones a scan of the up-to-date matrix gives. Null when the file cannot be trusted: its
 * newest face is not in the library with the same descriptor (another ledger's file, or the face deleted), or the
 * ledger has a face the file should hold and does not (a descriptor added later). The caller then reads the ledger.
 */
export async function searchStoredDescriptors(search: StoredSearch): Promise<VendorMatch[] | null> {
  const { ledger, libraryRowId, stored, chunk } = search;
  const fileIds = stored.rowIds;
  const count = fileIds.length;
  if (count === 0) return null;
  const newest = fileIds[count - 1]!;
  if (!(await stored.readRows(count - 1, 1, chunk))) return null;
  const added = await addedSinceNewest(ledger, libraryRowId, newest, chunk.subarray(0, DESCRIPTOR_LENGTH));
  if (!added) return null;

  // Which of the file's rows the ledger still has (face row ids are never reused and descriptors never change).
  let kept: Uint8Array | null = null;
  let keptIds: ArrayLike<number> = fileIds;
  const remaining = await remainingIfAnyGone(ledger, libraryRowId, newest, count);
  if (remaining) {
    kept = new Uint8Array(count);
    let at = 0;
    for (const id of remaining) {
      while (at < count && fileIds[at]! < id) at++;
      if (fileIds[at] !== id) return null;
      kept[at++] = 1;
    }
    keptIds = remaining;
  }

  const chunkRows = Math.floor(chunk.length / DESCRIPTOR_LENGTH);
  if (chunkRows < 1) throw new Error(`a chunk of ${chunk.length} floats holds no descriptor`);
  let scan: NearestRows | null = null;
  for (let first = 0; first < count; first += chunkRows) {
    const rows = Math.min(chunkRows, count - first);
    if (!(await stored.readRows(first, rows, chunk))) return null;
    // The scan order from where the first chunk's faces sit: it only decides how soon rows are left.
    scan ??= new NearestRows(
      DESCRIPTOR_LENGTH,
      search.probe,
      search.maxSquared,
      search.topN,
      scanOrder(search.probe, centreOf(chunk, rows, DESCRIPTOR_LENGTH)),
    );
    scan.scan(chunk, kept ? compact(chunk, kept, first, rows) : rows);
  }
  scan!.scan(added.matrix, added.rowIds.length);
  const keptCount = keptIds.length;
  return scan!.matches.map((m) => ({
    faceRowId: m.index < keptCount ? keptIds[m.index]! : added.rowIds[m.index - keptCount]!,
    similarity: m.similarity,
  }));
}

/** Moves the chunk's rows the ledger still has to its front, in order; returns how many there are. */
function compact(chunk: Float32Array, kept: Uint8Array, first: number, rows: number): number {
  let to = 0;
  for (let r = 0; r < rows; r++) {
    if (!kept[first + r]) continue;
    if (to !== r) chunk.copyWithin(to * DESCRIPTOR_LENGTH, r * DESCRIPTOR_LENGTH, (r + 1) * DESCRIPTOR_LENGTH);
    to++;
  }
  return to;
}
