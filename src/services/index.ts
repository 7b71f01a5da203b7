import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { ApiKeyService } from './api-key.service';
import { FaceEvents } from './face-events';
import { FaceService, type ImagePolicy } from './face.service';
import { LibraryService } from './library.service';
import { PersonService } from './person.service';
import type { ProviderRegistry } from './provider-registry';
import { StoredImages } from './stored-images';
import { SyncService } from './sync.service';

export interface Services {
  ledger: LedgerStore;
  providers: ProviderRegistry;
  libraries: LibraryService;
  faces: FaceService;
  persons: PersonService;
  sync: SyncService;
  apiKeys: ApiKeyService;
  /** Releases image files after the ledger commit that removed their last face; sweeps what a crash left. */
  storedImages: StoredImages;
  /** Face changes, after their commit, for the faceEvents subscription. */
  faceEvents: FaceEvents;
}

export function createServices(
  ledger: LedgerStore,
  providers: ProviderRegistry,
  imagePolicy: ImagePolicy,
  faceEvents = new FaceEvents(),
): Services {
  const storedImages = new StoredImages(ledger, providers);
  return {
    ledger,
    providers,
    libraries: new LibraryService(ledger, providers, storedImages, faceEvents),
    faces: new FaceService(ledger, providers, imagePolicy, storedImages, faceEvents),
    persons: new PersonService(ledger, providers, storedImages, faceEvents),
    sync: new SyncService(ledger, providers),
    apiKeys: new ApiKeyService(ledger, providers.all().map((vendor) => vendor.providerId)),
    storedImages,
    faceEvents,
  };
}

export { ProviderRegistry } from './provider-registry';
export { StoredImages } from './stored-images';
export { FaceEvents, type FaceEvent, type FaceEventKind, type FaceEventRelay } from './face-events';
export type { ImagePolicy } from './face.service';
