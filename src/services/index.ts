import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { ApiKeyService } from './api-key.service';
import { FaceImageService, type FaceImageSettings } from './face-images.service';
import { FaceEvents } from './face-events';
import { FaceDeletion } from './face-deletion';
import { FaceService, type ImagePolicy } from './face.service';
import { KeyedGate } from './keyed-gate';
import { LibraryRecordsByVersion } from './library-records';
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
  /** deleteFaces: which faces a filter names, how the vendor deletes them, the ledger rows removed after. */
  faceDeletion: FaceDeletion;
  persons: PersonService;
  sync: SyncService;
  apiKeys: ApiKeyService;
  /** Releases image files after the ledger commit that removed their last face; sweeps what a crash left. */
  storedImages: StoredImages;
  /** Face.imageUrl: signed links, and the thumbnails they answer. */
  faceImages: FaceImageService;
  /** Face changes, after their commit, for the faceEvents subscription. */
  faceEvents: FaceEvents;
  /** Library records kept across requests while the ledger's version stays the same (the requests' loaders). */
  libraryRecords: LibraryRecordsByVersion;
}

export function createServices(
  ledger: LedgerStore,
  providers: ProviderRegistry,
  imagePolicy: ImagePolicy,
  faceImageSettings: FaceImageSettings,
  faceEvents = new FaceEvents(),
): Services {
  const decoding = imagePolicy.limits.decoding;
  const storedImages = new StoredImages(ledger, providers, { keep: faceImageSettings.keep, decoding });
  // Registrations share a library's gate; a delete of a whole filter in one vendor call holds it alone.
  const libraryWrites = new KeyedGate();
  return {
    ledger,
    providers,
    libraries: new LibraryService(ledger, providers, storedImages, faceEvents),
    faces: new FaceService(ledger, providers, imagePolicy, storedImages, faceEvents, libraryWrites),
    faceDeletion: new FaceDeletion(ledger, providers, storedImages, faceEvents, libraryWrites),
    persons: new PersonService(ledger, providers, storedImages, faceEvents),
    sync: new SyncService(ledger, providers, storedImages),
    apiKeys: new ApiKeyService(
      ledger,
      providers.all().map((vendor) => vendor.providerId),
    ),
    storedImages,
    faceImages: new FaceImageService(ledger, providers, { ...faceImageSettings, decoding }),
    faceEvents,
    libraryRecords: new LibraryRecordsByVersion(),
  };
}

export { ProviderRegistry } from './provider-registry';
export { StoredImages } from './stored-images';
export { LibraryRecordsByVersion } from './library-records';
export { FaceEvents, type FaceEvent, type FaceEventKind, type FaceEventRelay } from './face-events';
export type { ImagePolicy } from './face.service';
export type { FaceImageSettings } from './face-images.service';
