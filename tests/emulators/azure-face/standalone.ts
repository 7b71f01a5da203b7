/**
 * The standalone Azure Face emulator (`npm run emulator:azure-face`): its fixed, emulator-only subscription key (not
 * a real Azure key) and the facegraph provider entry that works against it.
 */
import type { ProviderEntry } from '../common/standalone';
import { startAzureFaceEmulator, type AzureFaceEmulator } from './server';

export const STANDALONE_SUBSCRIPTION_KEY =
  process.env['AZURE_FACE_EMULATOR_KEY'] ?? 'emulator-only-azure-face-key-00000000';

export function startStandaloneAzureFace(port: number, host: string): Promise<AzureFaceEmulator> {
  return startAzureFaceEmulator({
    subscriptionKeys: [STANDALONE_SUBSCRIPTION_KEY],
    identifyAllowed: process.env['AZURE_FACE_IDENTIFY_ALLOWED'] !== 'false',
    trainingMs: Number(process.env['AZURE_FACE_TRAINING_MS'] ?? 50),
    tier: process.env['AZURE_FACE_TIER'] === 'F0' ? 'F0' : 'S0',
    port,
    host,
  });
}

/** An AZURE_FACE provider: Azure has no region or project in the config, only the resource endpoint and key. */
export function standaloneAzureFaceProvider(emulator: AzureFaceEmulator): ProviderEntry {
  return {
    id: 'az',
    kind: 'AZURE_FACE',
    endpoint: emulator.endpoint,
    credentials: { subscriptionKey: STANDALONE_SUBSCRIPTION_KEY },
  };
}
