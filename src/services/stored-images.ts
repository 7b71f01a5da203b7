import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { KeyedGate } from './keyed-gate';
import type { ProviderRegistry } from './provider-registry';

// Image files an adapter keeps itself (LOCAL) go only after the ledger commit that removed their last face,
// and only if no face row references them then. A crash in between leaves at worst a file no row references,
// which the start-up sweep removes; never a face row whose image is gone.
export class StoredImages {
  // Per image: registrations (storing it, then inserting their row) run together, a release (checking that no row
  // references it, then removing it) alone. Otherwise a release could remove the file between a store and its row.
  private readonly gate = new KeyedGate();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
  ) {}

  /** Runs a registration that may store the image, so that no release of it runs between the store and the row. */
  whileRegistering<T>(imageSha256: string | null, work: () => Promise<T>): Promise<T> {
    return imageSha256 ? this.gate.shared(imageSha256, work) : work();
  }

  /**
   * After the ledger commit that deleted faces (or after a registration that never got its row): removes the
   * vendor's copies of these images that no face row references any more. Failures are left to the sweep.
   */
  async releaseUnreferenced(vendor: FaceVendor, imageSha256s: readonly (string | null)[]): Promise<void> {
    if (!vendor.removeImages) return;
    const digests = [...new Set(imageSha256s.filter((digest): digest is string => digest !== null))];
    for (const digest of digests) {
      await this.gate
        .exclusive(digest, async () => {
          if ((await this.ledger.imagesInUse([digest])).length === 0) await vendor.removeImages!([digest]);
        })
        .catch(() => undefined);
    }
  }

  /** Removes every kept image no face references (what a crash after a commit left). Run before serving. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const vendor of this.providers.all()) {
      if (!vendor.storedImages || !vendor.removeImages) continue;
      const stored = await vendor.storedImages();
      const inUse = new Set(await this.ledger.imagesInUse(stored));
      const unreferenced = stored.filter((digest) => !inUse.has(digest));
      await vendor.removeImages(unreferenced);
      removed += unreferenced.length;
    }
    return removed;
  }
}
