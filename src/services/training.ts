import { unsupported } from '../domain/errors';
import type { LibraryRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';

// Vendors that identify against a trained model (Azure) must be retrained after their persons or faces
// change. The ledger remembers it in the library's vendor facts, so the API can show it.

export type TrainingStatus = 'NOT_REQUIRED' | 'NEEDS_TRAINING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export function trainingStatusOf(library: LibraryRecord, vendor: FaceVendor): TrainingStatus {
  if (!vendor.capabilities.requiresTraining) return 'NOT_REQUIRED';
  const meta = library.vendorMeta as { needsTraining?: boolean; training?: TrainingStatus };
  if (meta.needsTraining !== false) return 'NEEDS_TRAINING';
  return meta.training ?? 'NEEDS_TRAINING';
}

/** After a write that changes what identify knows. */
export async function markNeedsTraining(ledger: LedgerStore, vendor: FaceVendor, library: LibraryRecord): Promise<void> {
  if (!vendor.capabilities.requiresTraining) return;
  // Re-read: the record in hand may predate a training that finished meanwhile.
  const [fresh] = await ledger.librariesByRowId([library.rowId]);
  if (fresh && fresh.vendorMeta.needsTraining !== true) await ledger.updateLibraryMeta(fresh.rowId, { ...fresh.vendorMeta, needsTraining: true });
}

export async function trainLibrary(ledger: LedgerStore, vendor: FaceVendor, library: LibraryRecord): Promise<LibraryRecord> {
  if (!vendor.capabilities.requiresTraining || !vendor.trainLibrary) {
    throw unsupported(vendor.kind, 'trainLibrary', `${vendor.kind} libraries need no training: their searches see every change at once.`);
  }
  const outcome = await vendor.trainLibrary(library);
  const training: TrainingStatus = outcome.state === 'succeeded' ? 'SUCCEEDED' : outcome.state === 'failed' ? 'FAILED' : 'RUNNING';
  return ledger.updateLibraryMeta(library.rowId, {
    ...library.vendorMeta,
    needsTraining: outcome.state !== 'succeeded',
    training,
    trainingMessage: outcome.message,
  });
}
