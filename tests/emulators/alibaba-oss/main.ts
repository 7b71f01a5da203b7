/**
 * Standalone Alibaba Cloud OSS emulator: `npm run emulator:alibaba-oss` (PORT env, default 4601). It is also
 * started by `npm run emulator:alibaba-mts`, which lets the MTS emulator download from it. The AccessKey printed
 * below is a fixed, emulator-only value — it is not a real Alibaba Cloud AccessKey and works nowhere else.
 */
import { stringify } from 'yaml';
import { printBanner, runStandalone } from '../common/standalone';
import type { OssEmulator } from './server';
import {
  OSS_ACCESS_KEY_ID,
  OSS_ACCESS_KEY_SECRET,
  OSS_BUCKET,
  standaloneImageStaging,
  startStandaloneOss,
} from './standalone';

/** Prints where the emulator listens, and the imageStaging block of an ALIBABA_MTS provider for it. */
export function printOssBanner(oss: OssEmulator): void {
  printBanner(' Alibaba Cloud OSS emulator (path-style objects, V1 signatures) — EMULATOR-ONLY ACCESSKEY, NOT REAL', [
    ` endpoint           ${oss.endpoint}   (objects at /<bucket>/<key>: PUT, GET, HEAD, DELETE)`,
    ` bucket             ${OSS_BUCKET}`,
    ` AccessKey ID       ${OSS_ACCESS_KEY_ID}`,
    ` AccessKey secret   ${OSS_ACCESS_KEY_SECRET}`,
    ' as imageStaging of an ALIBABA_MTS provider:',
    ...stringify({ imageStaging: standaloneImageStaging(oss) })
      .trimEnd()
      .split('\n')
      .map((l) => `   ${l}`),
  ]);
}

if (require.main === module) {
  runStandalone('OSS', async () => {
    const oss = await startStandaloneOss(Number(process.env['PORT'] ?? 4601), process.env['HOST'] ?? '127.0.0.1');
    printOssBanner(oss);
    return oss;
  });
}
