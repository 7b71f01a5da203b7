import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { ApiKeyService } from './api-key.service';
import { FaceService, type ImagePolicy } from './face.service';
import { LibraryService } from './library.service';
import { PersonService } from './person.service';
import type { ProviderRegistry } from './provider-registry';
import { SyncService } from './sync.service';

export interface Services {
  ledger: LedgerStore;
  providers: ProviderRegistry;
  libraries: LibraryService;
  faces: FaceService;
  persons: PersonService;
  sync: SyncService;
  apiKeys: ApiKeyService;
}

export function createServices(ledger: LedgerStore, providers: ProviderRegistry, imagePolicy: ImagePolicy): Services {
  return {
    ledger,
    providers,
    libraries: new LibraryService(ledger, providers),
    faces: new FaceService(ledger, providers, imagePolicy),
    persons: new PersonService(ledger, providers),
    sync: new SyncService(ledger, providers),
    apiKeys: new ApiKeyService(ledger, providers.all().map((vendor) => vendor.providerId)),
  };
}

export { ProviderRegistry } from './provider-registry';
export type { ImagePolicy } from './face.service';
