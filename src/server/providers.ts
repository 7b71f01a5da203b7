import type { Logger } from 'pino';
import type { RateLimitFactory } from '../datasources/http/rate-limit';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
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

/** One adapter per configured provider; the LOCAL face engine starts only when a LOCAL provider is configured. */
export function createVendors(
  config: FacegraphConfig,
  ledger: LedgerStore,
  logger: Logger,
  rateLimits?: RateLimitFactory,
): Vendors {
  let engine: FaceEngine | null = null;
  const localEngine = () => (engine ??= startFaceEngine(config.faceEngine));
  const vendors = config.providers.map((provider) =>
    createVendor(provider, config, ledger, localEngine, logger, rateLimits),
  );
  return { vendors, close: async () => engine?.close() };
}

function createVendor(
  provider: ProviderConfig,
  config: FacegraphConfig,
  ledger: LedgerStore,
  localEngine: () => FaceEngine,
  logger: Logger,
  rateLimits: RateLimitFactory | undefined,
): FaceVendor {
  switch (provider.kind) {
    case 'LOCAL':
      return new LocalFaceVendor(provider.id, config.dataDir, ledger, localEngine());
    case 'HUAWEI_FRS': {
      const { id, kind: _kind, rateLimitPerSecond, ...options } = provider;
      return new FrsFaceVendor(id, { ...options, rateLimitPerSecond, rateLimits }, logger.child({ provider: id }));
    }
    case 'AZURE_FACE': {
      const { id, kind: _kind, ...options } = provider;
      return new AzureFaceVendor(id, { ...options, rateLimits }, logger.child({ provider: id }));
    }
    case 'ALIBABA_MTS': {
      const { id, kind: _kind, ...options } = provider;
      return new MtsFaceVendor(id, { ...options, rateLimits }, logger.child({ provider: id }));
    }
  }
}
