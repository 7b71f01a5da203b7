import { FaceGraphError, isFaceGraphError, notFound, unsupported, type ErrorDetail } from '../domain/errors';
import { faceId as faceGlobalId } from '../domain/global-id';
import type { FaceRecord, LibraryRecord, Support } from '../domain/model';
import type { DeletedFace, LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import type { KeyedGate } from './keyed-gate';
import { markNeedsTraining } from './training';
import { requireLibrary } from './lookups';
import type { ProviderRegistry } from './provider-registry';
import type { FaceEvents } from './face-events';
import type { StoredImages } from './stored-images';
import type { DeleteFacesOutcome, FaceFilterRequest } from './face-requests';
import { resolveFaceFilter } from './face-filter';

/** Faces deleted one vendor call at a time are sent this many at once. */
const DELETE_CONCURRENCY = 4;

/**
 * deleteFaces: the faces a filter names, how the vendor deletes them (one call for the whole filter where it can, else
 * one call per face, as the capabilities say), and the ledger rows removed after the vendor's answer, so an
 * acknowledged deletion is never left half done.
 */
export class FaceDeletion {
  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly storedImages: StoredImages,
    private readonly events: FaceEvents,
    /** The per-library gate createServices shares with FaceService (see there). */
    private readonly libraryWrites: KeyedGate,
  ) {}

  async deleteFaces(libraryRawId: string, filterReq: FaceFilterRequest, dryRun: boolean): Promise<DeleteFacesOutcome> {
    const library = await requireLibrary(this.ledger, libraryRawId, 'libraryId');
    const vendor = this.providers.get(library.providerId);
    const { filter, unknownFaceIds } = await resolveFaceFilter(this.ledger, library, filterReq);
    const byIdOnly = filter.vendorFaceIds !== undefined && Object.keys(filter).length === 1;
    const capability = byIdOnly ? vendor.capabilities.deleteFaces : vendor.capabilities.deleteFacesByFilter;
    if (capability === 'UNSUPPORTED') throw unsupported(vendor.kind, byIdOnly ? 'deleteFaces' : 'deleteFacesByFilter');

    const notFoundFailures = unknownFaceIds.map((id) => ({ faceId: id, error: notFound('FACE', id).detail }));
    // A filter is one vendor call when the vendor can take it whole; anything else (and any filter naming faces) is
    // one vendor call per face. The plan says what the capabilities say: faces named by id are deleted the way
    // capabilities.deleteFaces tells, a filter NATIVE only when it is one vendor call.
    const native =
      filter.vendorFaceIds === undefined &&
      vendor.deleteFacesByFilter !== undefined &&
      (vendor.canDeleteNatively ? vendor.canDeleteNatively(filter, library) : capability === 'NATIVE');
    const byIds = filter.vendorFaceIds !== undefined;
    const strategy: Support = byIds ? vendor.capabilities.deleteFaces : native ? 'NATIVE' : 'EMULATED';

    const run = async (): Promise<DeleteFacesOutcome & { removed: DeletedFace[] }> => {
      const matched = await this.ledger.findFaces(library.rowId, filter);
      const plan = { strategy, vendorCalls: native ? Math.min(1, matched.length) : matched.length };
      if (dryRun || matched.length === 0) {
        const failures = notFoundFailures;
        return { dryRun, matched, deleted: [], failures, plan, vendorDeletedCount: null, removed: [] };
      }
      const failures = [...notFoundFailures];
      let goneAtVendor = matched;
      let vendorDeletedCount: number | null = null;
      if (native) vendorDeletedCount = (await vendor.deleteFacesByFilter!(library, filter)) ?? null;
      else goneAtVendor = await this.deleteOneByOne(library, vendor, matched, failures);
      // Only the rows this call removed are its deletions: a concurrent call may have removed some of them first.
      const removed = await this.ledger.deleteFaces(goneAtVendor.map((f) => f.rowId));
      const removedRowIds = new Set(removed.map((r) => r.rowId));
      const deleted = matched.filter((f) => removedRowIds.has(f.rowId));
      this.events.deleted(deleted);
      return { dryRun, matched, deleted, failures, plan, vendorDeletedCount, removed };
    };
    // One vendor call removes whatever matches at the vendor when it runs: no registration through this gateway may
    // land in the library between the ledger read and that call, or its acknowledged face would go unrecorded.
    const key = String(library.rowId);
    const { removed, ...outcome } = native && !dryRun ? await this.libraryWrites.exclusive(key, run) : await run();
    if (outcome.deleted.length > 0) await markNeedsTraining(this.ledger, vendor, library);
    await this.storedImages.releaseUnreferenced(
      vendor,
      removed.map((r) => r.imageSha256),
    );
    return outcome;
  }

  /** One vendor call per face; returns the faces gone at the vendor, and adds the others to `failures`. */
  private async deleteOneByOne(
    library: LibraryRecord,
    vendor: FaceVendor,
    faces: FaceRecord[],
    failures: DeleteFacesOutcome['failures'],
  ): Promise<FaceRecord[]> {
    const gone: FaceRecord[] = [];
    await forEachLimited(faces, DELETE_CONCURRENCY, async (face) => {
      try {
        await vendor.deleteFace(library, face);
        gone.push(face);
      } catch (e) {
        // Already gone at the vendor is what we wanted; anything else stays in the ledger and is reported.
        if (isFaceGraphError(e) && e.detail.type === 'NotFoundError' && e.detail.resource === 'FACE') {
          gone.push(face);
        } else {
          const faceId = faceGlobalId(library.providerId, library.name, face.vendorFaceId);
          failures.push({ faceId, error: errorDetailOf(e, library.providerId) });
        }
      }
    });
    return gone;
  }
}

function errorDetailOf(e: unknown, providerId: string): ErrorDetail {
  if (e instanceof FaceGraphError) return e.detail;
  // Adapters report vendor failures as FaceGraphError; anything else is unexpected but must not hide the other results.
  return {
    type: 'VendorUnavailableError',
    message: 'The vendor call failed unexpectedly; the face was not deleted.',
    retryable: true,
    vendor: { providerId },
  };
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
