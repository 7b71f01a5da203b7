import type { Logger } from 'pino';
import type { TransportObserver } from '../datasources/http';
import type { RateLimitFactory } from '../datasources/http/rate-limit';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { FaceEngineObserver } from '../datasources/vendors/local/engine/engine-observation';
import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { startFaceEngine, type FaceEngine } from '../datasources/vendors/local/engine/face-engine';
import { MtsFaceVendor } from '../datasources/vendors/alibaba-mts/mts-vendor';
import { AzureFaceVendor } from '../datasources/vendors/azure-face/azure-vendor';
import { FrsFaceVendor } from '../datasources/vendors/huawei-frs/frs-vendor';
import { LocalFaceVendor } from '../datasources/vendors/local/local-vendor';
import type { FacegraphConfig, ProviderConfig } from './config';

export interface Vendors {
  vendors: FaceVendor[];
  /** Stops what the adapters share (the LOCAL face engine's workers). */
  close(): Promise<void>;
}

/** Metrics hooks the server passes down (src/server/observability). */
export interface VendorObservers {
  transport?: TransportObserver;
  faceEngine?: FaceEngineObserver;
}

/** One adapter per configured provider; the LOCAL face engine starts only when a LOCAL provider is configured. */
export function createVendors(
  config: FacegraphConfig,
  ledger: LedgerStore,
  logger: Logger,
  options: { observers?: VendorObservers; rateLimits?: RateLimitFactory } = {},
): Vendors {
  const { observers = {}, rateLimits } = options;
  let engine: FaceEngine | null = null;
  const localEngine = () => (engine ??= startFaceEngine({ ...config.faceEngine, observer: observers.faceEngine }));
  const vendors = config.providers.map((provider) =>
    createVendor(provider, config, ledger, localEngine, logger, { transportObserver: observers.transport, rateLimits }),
  );
  return { vendors, close: async () => engine?.close() };
}

function createVendor(
  provider: ProviderConfig,
  config: FacegraphConfig,
  ledger: LedgerStore,
  localEngine: () => FaceEngine,
  logger: Logger,
  transport: { transportObserver?: TransportObserver; rateLimits?: RateLimitFactory },
): FaceVendor {
  switch (provider.kind) {
    case 'LOCAL':
      return new LocalFaceVendor(provider.id, config.dataDir, ledger, localEngine());
    case 'HUAWEI_FRS': {
      const { id, kind: _kind, rateLimitPerSecond, ...options } = provider;
      const frsOptions = { ...options, rateLimitPerSecond, ...transport };
      return new FrsFaceVendor(id, frsOptions, logger.child({ provider: id }));
    }
    case 'AZURE_FACE': {
      const { id, kind: _kind, ...options } = provider;
      return new AzureFaceVendor(id, { ...options, ...transport }, logger.child({ provider: id }));
    }
    case 'ALIBABA_MTS': {
      const { id, kind: _kind, ...options } = provider;
      return new MtsFaceVendor(id, { ...options, ...transport }, logger.child({ provider: id }));
    }
  }
}
