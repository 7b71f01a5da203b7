import type { DecodePoolSettings } from '../datasources/images/decode-pool';
import type { LoadedImage } from '../datasources/images/image';
import { keptThumbnail } from '../datasources/images/thumbnail';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import type { ImageKeepMode } from './face-images.service';
import { KeyedGate } from './keyed-gate';
import type { ProviderRegistry } from './provider-registry';

// Images kept for faces, by the SHA-256 of the registered image: the files an adapter keeps itself (LOCAL), and
// what the gateway keeps of faces registered at a cloud provider, which never gives an image back (images.keep).
// Either goes only after the ledger commit that removed its last face, and only if no face row references it then.
// A crash in between leaves at worst an image no row references, which the start-up sweep removes; never a face
// row whose image is gone.
export class StoredImages {
  // Per image: registrations (storing it, then inserting their row) run together, a release (checking that no row
  // references it, then removing it) alone. Otherwise a release could remove the file between a store and its row.
  private readonly gate = new KeyedGate();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly keeping: { keep: ImageKeepMode; decoding?: DecodePoolSettings },
  ) {}

  /** Runs a registration that may store the image, so that no release of it runs between the store and the row. */
  whileRegistering<T>(imageSha256: string | null, work: () => Promise<T>): Promise<T> {
    return imageSha256 ? this.gate.shared(imageSha256, work) : work();
  }

  /**
   * Inside whileRegistering, once the vendor holds the face: keeps what images.keep says of the image, where the
   * adapter keeps none itself. Best effort: the face is registered at the vendor already, and a failure here only
   * costs its imageUrl (null then), so it never fails the registration.
   */
  async keep(vendor: FaceVendor, image: LoadedImage): Promise<void> {
    if (vendor.readImage || this.keeping.keep === 'none') return;
    try {
      const bytes = this.keeping.keep === 'full' ? image.bytes : await keptThumbnail(image, this.keeping.decoding);
      await this.ledger.faceImages.putKeptImage(image.sha256, {
        bytes,
        originalWidth: image.width,
        originalHeight: image.height,
      });
    } catch {
      // Left without an image: Face.imageUrl is null for it.
    }
  }

  /**
   * After the ledger commit that deleted faces (or after a registration that never got its row): removes the
   * vendor's copies, and the gateway's, of these images that no face row references any more. Failures are left to
   * the sweep.
   */
  async releaseUnreferenced(vendor: FaceVendor, imageSha256s: readonly (string | null)[]): Promise<void> {
    const digests = [...new Set(imageSha256s.filter((digest): digest is string => digest !== null))];
    for (const digest of digests) {
      await this.gate
        .exclusive(digest, async () => {
          if ((await this.ledger.imagesInUse([digest])).length > 0) return;
          await vendor.removeImages?.([digest]);
          await this.ledger.faceImages.removeKeptImage(digest);
        })
        .catch(() => undefined);
    }
  }

  /** Removes every stored or kept image no face references (what a crash after a commit left). Run before serving. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const vendor of this.providers.all()) {
      if (!vendor.storedImages || !vendor.removeImages) continue;
      const unreferenced = await this.unreferenced(await vendor.storedImages());
      await vendor.removeImages(unreferenced);
      removed += unreferenced.length;
    }
    const unreferencedKept = await this.unreferenced(await this.ledger.faceImages.keptImageDigests());
    for (const digest of unreferencedKept) await this.ledger.faceImages.removeKeptImage(digest);
    return removed + unreferencedKept.length;
  }

  private async unreferenced(digests: string[]): Promise<string[]> {
    const inUse = new Set(await this.ledger.imagesInUse(digests));
    return digests.filter((digest) => !inUse.has(digest));
  }
}
