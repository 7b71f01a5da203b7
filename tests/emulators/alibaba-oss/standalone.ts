/**
 * The standalone OSS emulator (`npm run emulator:alibaba-oss`, and alongside `npm run emulator:alibaba-mts`): its
 * fixed, emulator-only AccessKey (not a real Alibaba Cloud AccessKey), its bucket, and the `imageStaging` settings
 * of an ALIBABA_MTS provider that stages base64 images in it.
 */
import { startOssEmulator, type OssEmulator } from './server';

export const OSS_ACCESS_KEY_ID = process.env['OSS_EMULATOR_ACCESS_KEY_ID'] ?? 'EmulatorOnlyOssAccessKey01';
export const OSS_ACCESS_KEY_SECRET =
  process.env['OSS_EMULATOR_ACCESS_KEY_SECRET'] ?? 'emulator-only-oss-secret-not-a-real-aliyun-key';
export const OSS_BUCKET = process.env['OSS_EMULATOR_BUCKET'] ?? 'facegraph-staging';

export function startStandaloneOss(port: number, host: string): Promise<OssEmulator> {
  return startOssEmulator({
    credentials: [{ accessKeyId: OSS_ACCESS_KEY_ID, accessKeySecret: OSS_ACCESS_KEY_SECRET }],
    buckets: [OSS_BUCKET],
    port,
    host,
  });
}

/** An IP endpoint cannot carry the bucket in its host name: hence path addressing. */
export function standaloneImageStaging(oss: OssEmulator): Record<string, unknown> {
  return {
    endpoint: oss.endpoint,
    bucket: OSS_BUCKET,
    accessKeyId: OSS_ACCESS_KEY_ID,
    accessKeySecret: OSS_ACCESS_KEY_SECRET,
    addressing: 'path',
  };
}
