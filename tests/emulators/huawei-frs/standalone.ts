/**
 * The standalone FRS emulator (`npm run emulator:huawei-frs`): its fixed, emulator-only credentials (not real Huawei
 * secrets) and the facegraph provider entry that works against it.
 */
import type { ProviderEntry } from '../common/standalone';
import { startFrsEmulator, type FrsEmulator } from './server';

/** The project id of the README's examples, so that they work against the emulator as written. */
export const STANDALONE_PROJECT_ID = process.env['FRS_EMULATOR_PROJECT_ID'] ?? '0123456789abcdef0123456789abcdef';
export const STANDALONE_ACCESS_KEY = {
  accessKeyId: 'EMULATORAKFRS0000001',
  secretAccessKey: 'emulator-only-secret-key-not-a-real-huawei-sk',
};
export const STANDALONE_TOKEN = 'emulator-only-token-frs';
export const STANDALONE_IAM_USER = {
  name: 'emulator-user',
  password: 'emulator-password',
  domainName: 'emulator-account',
};

export function startStandaloneFrs(port: number, host: string): Promise<FrsEmulator> {
  return startFrsEmulator({
    projectId: STANDALONE_PROJECT_ID,
    credentials: [STANDALONE_ACCESS_KEY],
    tokens: [STANDALONE_TOKEN],
    iamUsers: [STANDALONE_IAM_USER],
    port,
    host,
  });
}

/** A HUAWEI_FRS provider signing with the emulator's AK/SK. */
export function standaloneFrsProvider(emulator: FrsEmulator): ProviderEntry {
  return {
    id: 'hw',
    kind: 'HUAWEI_FRS',
    region: emulator.region,
    projectId: emulator.projectId,
    endpoint: emulator.endpoint,
    iamEndpoint: emulator.iamEndpoint,
    credentials: { ...STANDALONE_ACCESS_KEY },
  };
}
