import { notFound, unsupported } from '../domain/errors';
import { libraryId } from '../domain/global-id';
import type { LibraryRecord } from '../domain/model';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { KeyedMutex } from './keyed-mutex';

// Vendors that identify against a trained model (Azure) must be retrained after their persons or faces
// change. The ledger remembers it in the library's vendor facts, so the API can show it. Every such change
// also counts up `changes`, so that a training can tell whether a write came in while it ran: the model it
// built then misses that write, and the library still needs training.

export type TrainingStatus = 'NOT_REQUIRED' | 'NEEDS_TRAINING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

interface TrainingMeta {
  needsTraining?: boolean;
  training?: TrainingStatus;
  /** How many writes have changed what identify knows. */
  changes?: number;
}

/** Read-modify-writes of a library's training facts, one at a time per ledger and library. */
const metaLocks = new WeakMap<LedgerStore, KeyedMutex>();

function updateTrainingMeta(
  ledger: LedgerStore,
  libraryRowId: number,
  change: (meta: Record<string, unknown> & TrainingMeta) => Record<string, unknown>,
): Promise<LibraryRecord | null> {
  let lock = metaLocks.get(ledger);
  if (!lock) metaLocks.set(ledger, (lock = new KeyedMutex()));
  return lock.run(String(libraryRowId), async () => {
    const [fresh] = await ledger.librariesByRowId([libraryRowId]);
    return fresh ? ledger.updateLibraryMeta(fresh.rowId, change(fresh.vendorMeta)) : null;
  });
}

export function trainingStatusOf(library: LibraryRecord, vendor: FaceVendor): TrainingStatus {
  if (!vendor.capabilities.requiresTraining) return 'NOT_REQUIRED';
  const meta = library.vendorMeta as TrainingMeta;
  if (meta.needsTraining !== false) return 'NEEDS_TRAINING';
  return meta.training ?? 'NEEDS_TRAINING';
}

/** After a write that changes what identify knows. */
export async function markNeedsTraining(
  ledger: LedgerStore,
  vendor: FaceVendor,
  library: LibraryRecord,
): Promise<void> {
  if (!vendor.capabilities.requiresTraining) return;
  await updateTrainingMeta(ledger, library.rowId, (meta) => ({
    ...meta,
    needsTraining: true,
    changes: (meta.changes ?? 0) + 1,
  }));
}

export async function trainLibrary(
  ledger: LedgerStore,
  vendor: FaceVendor,
  library: LibraryRecord,
): Promise<LibraryRecord> {
  if (!vendor.capabilities.requiresTraining || !vendor.trainLibrary) {
    throw unsupported(
      vendor.kind,
      'trainLibrary',
      `${vendor.kind} libraries need no training: their searches see every change at once.`,
    );
  }
  // Read before the training starts: a write counted after this may be missing from the model.
  const changesBefore = (library.vendorMeta as TrainingMeta).changes ?? 0;
  const outcome = await vendor.trainLibrary(library);
  const training: TrainingStatus =
    outcome.state === 'succeeded' ? 'SUCCEEDED' : outcome.state === 'failed' ? 'FAILED' : 'RUNNING';
  const updated = await updateTrainingMeta(ledger, library.rowId, (meta) => ({
    ...meta,
    needsTraining: outcome.state !== 'succeeded' || (meta.changes ?? 0) !== changesBefore,
    training,
    trainingMessage: outcome.message,
  }));
  if (!updated) throw notFound('LIBRARY', libraryId(library.providerId, library.name));
  return updated;
}
