import type { HuaweiFrsProviderConfig } from '../../src/server/config';
import { startFrsEmulator, type FrsEmulator } from '../emulators/huawei-frs';

// The FRS emulator as most integration tests use it: one project, one AK/SK pair (emulator-only, not real secrets),
// no lockout after failed signatures; and the HUAWEI_FRS provider entry pointing at it.

export const TEST_FRS = {
  projectId: '0123456789abcdef0123456789abcdef',
  accessKeyId: 'EMULATORAK000000001',
  secretAccessKey: 'emulator-secret-key-0001',
};

export function startTestFrs(): Promise<FrsEmulator> {
  const { projectId, accessKeyId, secretAccessKey } = TEST_FRS;
  return startFrsEmulator({ projectId, credentials: [{ accessKeyId, secretAccessKey }], akLockout: false });
}

/** Provider `hw`, signing with TEST_FRS's AK/SK, at the emulator; `extra` adds or overrides settings. */
export function frsProvider(
  emulator: FrsEmulator,
  extra: Partial<HuaweiFrsProviderConfig> = {},
): HuaweiFrsProviderConfig {
  return {
    id: 'hw',
    kind: 'HUAWEI_FRS',
    region: 'cn-north-4',
    projectId: TEST_FRS.projectId,
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: TEST_FRS.accessKeyId, secretAccessKey: TEST_FRS.secretAccessKey },
    ...extra,
  };
}
