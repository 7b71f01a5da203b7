/**
 * Standalone Alibaba Cloud OSS emulator: `npm run emulator:alibaba-oss` (PORT env, default 4601). It is also
 * started by `npm run emulator:alibaba-mts`, which lets the MTS emulator download from it. The AccessKey printed
 * below is a fixed, emulator-only value — it is not a real Alibaba Cloud AccessKey and works nowhere else.
 */
import { printBanner, runStandalone } from '../common/standalone';
import { startOssEmulator, type OssEmulator } from './server';

export const OSS_ACCESS_KEY_ID = process.env['OSS_EMULATOR_ACCESS_KEY_ID'] ?? 'EmulatorOnlyOssAccessKey01';
export const OSS_ACCESS_KEY_SECRET = process.env['OSS_EMULATOR_ACCESS_KEY_SECRET'] ?? 'emulator-only-oss-secret-not-a-real-aliyun-key';
export const OSS_BUCKET = process.env['OSS_EMULATOR_BUCKET'] ?? 'facegraph-staging';

/** Starts the emulator with the standalone credentials and bucket, and prints how to configure imageStaging. */
export async function startStandaloneOss(port: number, host: string): Promise<OssEmulator> {
  const oss = await startOssEmulator({
    credentials: [{ accessKeyId: OSS_ACCESS_KEY_ID, accessKeySecret: OSS_ACCESS_KEY_SECRET }],
    buckets: [OSS_BUCKET],
    port,
    host,
  });
  printBanner(' Alibaba Cloud OSS emulator (path-style objects, V1 signatures) — EMULATOR-ONLY ACCESSKEY, NOT REAL', [
    ` endpoint           ${oss.endpoint}   (objects at /<bucket>/<key>: PUT, GET, HEAD, DELETE)`,
    ` bucket             ${OSS_BUCKET}`,
    ` AccessKey ID       ${OSS_ACCESS_KEY_ID}`,
    ` AccessKey secret   ${OSS_ACCESS_KEY_SECRET}`,
    ` as imageStaging    { endpoint: ${oss.endpoint}, bucket: ${OSS_BUCKET}, addressing: path, accessKeyId, accessKeySecret }`,
  ]);
  return oss;
}

if (require.main === module) {
  runStandalone('OSS', () => startStandaloneOss(Number(process.env['PORT'] ?? 4601), process.env['HOST'] ?? '127.0.0.1'));
}
