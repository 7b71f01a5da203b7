/**
 * The standalone MTS emulator (`npm run emulator:alibaba-mts`) and the OSS emulator beside it: their fixed,
 * emulator-only AccessKeys (not real Alibaba Cloud AccessKeys) and the facegraph provider entry that works
 * against them, base64 images included (staged in the OSS emulator, which the MTS emulator downloads from).
 */
import type { ProviderEntry } from '../common/standalone';
import type { OssEmulator } from '../alibaba-oss/server';
import { standaloneImageStaging, startStandaloneOss } from '../alibaba-oss/standalone';
import { startMtsEmulator, type MtsEmulator } from './server';

export const STANDALONE_ACCESS_KEY = {
  accessKeyId: process.env['MTS_EMULATOR_ACCESS_KEY_ID'] ?? 'EmulatorOnlyMtsAccessKey01',
  accessKeySecret: process.env['MTS_EMULATOR_ACCESS_KEY_SECRET'] ?? 'emulator-only-mts-secret-not-a-real-aliyun-key',
};
/** The region of the README's MTS example. */
export const STANDALONE_REGION = 'cn-shanghai';

export interface StandaloneMts {
  mts: MtsEmulator;
  oss: OssEmulator;
  close(): Promise<void>;
}

export async function startStandaloneMts(
  ports: { mts: number; oss: number },
  host: string,
  images = new Map<string, Buffer>(),
): Promise<StandaloneMts> {
  const oss = await startStandaloneOss(ports.oss, host);
  const mts = await startMtsEmulator({
    credentials: [STANDALONE_ACCESS_KEY],
    images,
    fetchableOrigins: [oss.endpoint],
    port: ports.mts,
    host,
  });
  return {
    mts,
    oss,
    close: async () => {
      await mts.close();
      await oss.close();
    },
  };
}

export function standaloneMtsProvider({ mts, oss }: StandaloneMts): ProviderEntry {
  return {
    id: 'ali',
    kind: 'ALIBABA_MTS',
    region: STANDALONE_REGION,
    endpoint: mts.endpoint,
    credentials: { ...STANDALONE_ACCESS_KEY },
    imageStaging: standaloneImageStaging(oss),
  };
}
