/**
 * Standalone Alibaba Cloud MTS (custom face library) emulator: `npm run emulator:alibaba-mts`
 * (PORT env, default 4600). The AccessKey printed below is a fixed, emulator-only value — it is not a real
 * Alibaba Cloud AccessKey and works nowhere else.
 *
 * MTS_EMULATOR_IMAGES_DIR=<dir>: every file in <dir> can be registered as ImageUrl
 * `https://images.emulator.invalid/<file name>`; without it no ImageUrl can be "downloaded".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { printBanner, runStandalone } from '../common/standalone';
import { startMtsEmulator } from './server';

const ACCESS_KEY_ID = process.env['MTS_EMULATOR_ACCESS_KEY_ID'] ?? 'EmulatorOnlyMtsAccessKey01';
const ACCESS_KEY_SECRET = process.env['MTS_EMULATOR_ACCESS_KEY_SECRET'] ?? 'emulator-only-mts-secret-not-a-real-aliyun-key';
const IMAGE_BASE = 'https://images.emulator.invalid/';

function loadImages(dir: string | undefined): Map<string, Buffer> {
  const images = new Map<string, Buffer>();
  if (!dir) return images;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) images.set(IMAGE_BASE + encodeURIComponent(name), readFileSync(file));
  }
  return images;
}

runStandalone('MTS', async () => {
  const images = loadImages(process.env['MTS_EMULATOR_IMAGES_DIR']);
  const emulator = await startMtsEmulator({
    credentials: [{ accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET }],
    images,
    port: Number(process.env['PORT'] ?? 4600),
    host: process.env['HOST'] ?? '127.0.0.1',
  });
  printBanner(' Alibaba Cloud MTS emulator (2014-06-18 custom face library) — EMULATOR-ONLY ACCESSKEY, NOT REAL', [
    ` endpoint           ${emulator.endpoint}/   (RPC: Action + Version, V1 HMAC-SHA1 or V3 ACS3-HMAC-SHA256)`,
    ` AccessKey ID       ${ACCESS_KEY_ID}`,
    ` AccessKey secret   ${ACCESS_KEY_SECRET}`,
    ` actions            RegisterCustomFace, UnregisterCustomFace, ListCustomPersons, TagCustomPerson`,
    ` images             ${images.size === 0 ? 'none (set MTS_EMULATOR_IMAGES_DIR)' : `${images.size} under ${IMAGE_BASE}`}`,
    ' conventions        see tests/emulators/alibaba-mts/README.md (faces, errors, signatures)',
  ]);
  return emulator;
});
