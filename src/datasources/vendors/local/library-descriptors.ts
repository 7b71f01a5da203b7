import type { DescriptorMatrix, LedgerStore } from '../../ledger/ledger-store';
import type { VendorMatch } from '../face-vendor';
import type { DescriptorFiles } from './descriptor-file';
import {
  addedSinceNewest,
  appendDescriptors,
  DESCRIPTOR_LENGTH,
  keepDescriptors,
  remainingIfAnyGone,
  type CachedDescriptors,
} from './descriptor-matrix';
import { centreOf, nearestDescriptors, scanOrder } from './descriptor-scan';
import { CHUNK_ROWS, searchStoredDescriptors } from './stored-descriptor-search';

/** Libraries whose descriptor matrix is kept in memory (least recently searched evicted): 100,000 faces take 51 MB. */
const CACHED_LIBRARIES = 4;

/**
 * The LOCAL search's descriptors: per library one contiguous matrix in memory, kept while the ledger is unchanged
 * (any write through this process or another connection to the ledger changes its version; a stale matrix is
 * never used), brought up to date after a change by reading only what changed, and stored on local disk between
 * runs (descriptor-file.ts). A library not in memory yet is searched from its file while its matrix loads.
 */
export class LibraryDescriptors {
  private readonly cache = new Map<number, CachedDescriptors>();
  private readonly refreshing = new Map<number, Promise<CachedDescriptors>>();
  private readonly saving = new Map<number, Promise<void>>();
  /** Per matrix, where its faces sit (for the scan's order; a matrix grown in place keeps its first centre). */
  private readonly centres = new WeakMap<Float32Array, Float64Array>();
  /** Libraries deleted while this server runs: a search still under way must not cache or store them again. */
  private readonly forgotten = new Set<number>();
  /** The chunk a search from a file reads into, kept for the next one (fresh memory is what a load costs). */
  private idleChunk: Float32Array | null = null;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly files: DescriptorFiles,
  ) {}

  /** The library's faces nearest to `probe` within `maxSquared` (squared distance), best `topN` first. */
  async nearest(libraryRowId: number, probe: Float32Array, maxSquared: number, topN: number): Promise<VendorMatch[]> {
    if (!this.cache.has(libraryRowId)) {
      const fromFile = await this.nearestFromFile(libraryRowId, probe, maxSquared, topN);
      if (fromFile) return fromFile;
    }
    const { rowIds, matrix } = await this.descriptorsOf(libraryRowId);
    let centre = this.centres.get(matrix);
    if (!centre) this.centres.set(matrix, (centre = centreOf(matrix, rowIds.length, DESCRIPTOR_LENGTH)));
    const order = scanOrder(probe, centre);
    const best = nearestDescriptors(matrix, rowIds.length, DESCRIPTOR_LENGTH, probe, maxSquared, topN, order);
    return best.map((m) => ({ faceRowId: rowIds[m.index]!, similarity: m.similarity }));
  }

  /** Forgets a library (deleted): its matrix and its file. */
  async forget(libraryRowId: number): Promise<void> {
    this.forgotten.add(libraryRowId);
    this.cache.delete(libraryRowId);
    // A write under way would put the file back after the removal.
    await this.saving.get(libraryRowId);
    await this.files.remove(libraryRowId).catch(() => {});
  }

  /** Resolves when the matrices being loaded are loaded and the files being written are written. */
  async settled(): Promise<void> {
    await Promise.all([...this.refreshing.values()].map((p) => p.catch(() => {})));
    await Promise.all([...this.saving.values()]);
  }

  /**
   * The search from the library's stored file, and its matrix loaded in the background for the next searches;
   * null when there is no file or it cannot be trusted (then it is removed, and the ledger is read instead).
   */
  private async nearestFromFile(
    libraryRowId: number,
    probe: Float32Array,
    maxSquared: number,
    topN: number,
  ): Promise<VendorMatch[] | null> {
    const stored = await this.files.open(libraryRowId).catch(() => null);
    if (!stored) return null;
    const chunk = this.idleChunk ?? new Float32Array(CHUNK_ROWS * DESCRIPTOR_LENGTH);
    this.idleChunk = null;
    let matches: VendorMatch[] | null;
    try {
      matches = await searchStoredDescriptors({
        ledger: this.ledger,
        libraryRowId,
        stored,
        probe,
        maxSquared,
        topN,
        chunk,
      });
    } finally {
      this.idleChunk = chunk;
      await stored.close();
    }
    if (!matches) {
      await this.files.remove(libraryRowId).catch(() => {});
      return null;
    }
    this.descriptorsOf(libraryRowId).catch(() => {
      // The next search reads the ledger again, and reports a failure its own way.
    });
    return matches;
  }

  /**
   * A library's descriptors, up to date. After a change, the faces gone are dropped (their count tells whether
   * any is; then their ids say which: face row ids are never reused and descriptors never change) and only the
   * faces added since are read. Concurrent searches of one library share one refresh.
   */
  private descriptorsOf(libraryRowId: number): Promise<CachedDescriptors> {
    const pending = this.refreshing.get(libraryRowId);
    if (pending) return pending;
    const refresh = this.refresh(libraryRowId).finally(() => this.refreshing.delete(libraryRowId));
    this.refreshing.set(libraryRowId, refresh);
    return refresh;
  }

  private async refresh(libraryRowId: number): Promise<CachedDescriptors> {
    const version = await this.ledger.changeVersion();
    const cached = this.cache.get(libraryRowId);
    let entry: CachedDescriptors | null = cached && cached.version === version ? cached : null;
    if (!entry && cached) entry = await this.catchUp(libraryRowId, cached, version);
    if (!entry && !cached) entry = await this.fromFile(libraryRowId, version);
    if (!entry) {
      entry = { version, ...(await this.ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH)) };
      this.saveFile(libraryRowId, entry);
    }
    if (this.forgotten.has(libraryRowId)) return entry;
    // Least recently searched first out.
    this.cache.delete(libraryRowId);
    this.cache.set(libraryRowId, entry);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= CACHED_LIBRARIES) break;
      this.cache.delete(key);
    }
    return entry;
  }

  /** An older matrix brought up to `version`: the faces gone dropped, those added since read; null to read all. */
  private async catchUp(
    libraryRowId: number,
    older: CachedDescriptors,
    version: string,
    addedSince?: DescriptorMatrix,
  ): Promise<CachedDescriptors | null> {
    const newest = older.rowIds.length > 0 ? older.rowIds[older.rowIds.length - 1]! : 0;
    let kept: CachedDescriptors | null = older;
    const remaining = await remainingIfAnyGone(this.ledger, libraryRowId, newest, older.rowIds.length);
    if (remaining) {
      // In place unless the matrix is being written to its file; the older entry is given up either way.
      const inPlace = !this.saving.has(libraryRowId);
      if (this.cache.get(libraryRowId) === older) this.cache.delete(libraryRowId);
      kept = keepDescriptors(older, remaining, { inPlace });
    }
    if (!kept) return null;
    const added =
      addedSince ?? (await this.ledger.faceDescriptors(libraryRowId, DESCRIPTOR_LENGTH, { afterRowId: newest }));
    return appendDescriptors(kept, added, version);
  }

  /**
   * The matrix stored by an earlier run, brought up to date like an older cache entry; null when there is none or
   * it is not this ledger's (addedSinceNewest).
   */
  private async fromFile(libraryRowId: number, version: string): Promise<CachedDescriptors | null> {
    const stored = await this.files.load(libraryRowId).catch(() => null);
    if (!stored || stored.rowIds.length === 0) return null;
    const last = stored.rowIds.length - 1;
    const newestRow = stored.matrix.subarray(last * DESCRIPTOR_LENGTH, (last + 1) * DESCRIPTOR_LENGTH);
    const addedSince = await addedSinceNewest(this.ledger, libraryRowId, stored.rowIds[last]!, newestRow);
    if (!addedSince) return null;
    const entry = await this.catchUp(libraryRowId, { version: '', ...stored }, version, addedSince);
    // Rewritten when the ledger had changed, so the next start has less to reconcile.
    const unchanged = entry && addedSince.rowIds.length === 0 && entry.rowIds.length === stored.rowIds.length;
    if (entry && !unchanged) this.saveFile(libraryRowId, entry);
    return entry;
  }

  /** Stores a library's matrix for the next run, in the background; one write per library at a time. */
  private saveFile(libraryRowId: number, entry: CachedDescriptors): void {
    if (this.saving.has(libraryRowId) || this.forgotten.has(libraryRowId)) return;
    // The first rowIds.length rows never change (appends go after them; compaction makes a new matrix).
    const write = this.files
      .save(libraryRowId, entry.rowIds, entry.matrix)
      .catch(() => {
        // A cache: the next run reads the ledger instead.
      })
      .finally(() => this.saving.delete(libraryRowId));
    this.saving.set(libraryRowId, write);
  }
}
