/**
 * Standalone Alibaba Cloud MTS (custom face library) emulator: `npm run emulator:alibaba-mts`
 * (PORT env, default 4600). The AccessKey printed below is a fixed, emulator-only value — it is not a real
 * Alibaba Cloud AccessKey and works nowhere else.
 *
 * MTS_EMULATOR_IMAGES_DIR=<dir>: every file in <dir> can be registered as ImageUrl
 * `https://images.emulator.invalid/<file name>`.
 *
 * An OSS emulator starts alongside (OSS_PORT env, default PORT + 1), and ImageUrls on it are really downloaded:
 * a provider whose imageStaging points at it registers base64 images end to end.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { printOssBanner } from '../alibaba-oss/main';
import { printBanner, runStandalone } from '../common/standalone';
import { STANDALONE_ACCESS_KEY, standaloneMtsProvider, startStandaloneMts } from './standalone';

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
  const port = Number(process.env['PORT'] ?? 4600);
  const host = process.env['HOST'] ?? '127.0.0.1';
  const ossPort = Number(process.env['OSS_PORT'] ?? port + 1);
  const emulators = await startStandaloneMts({ mts: port, oss: ossPort }, host, images);
  const { mts, oss } = emulators;
  printOssBanner(oss);
  printBanner(
    ' Alibaba Cloud MTS emulator (2014-06-18 custom face library) — EMULATOR-ONLY ACCESSKEY, NOT REAL',
    [
      ` endpoint           ${mts.endpoint}/   (RPC: Action + Version, V1 HMAC-SHA1 or V3 ACS3-HMAC-SHA256)`,
      ` AccessKey ID       ${STANDALONE_ACCESS_KEY.accessKeyId}`,
      ` AccessKey secret   ${STANDALONE_ACCESS_KEY.accessKeySecret}`,
      ` actions            RegisterCustomFace, UnregisterCustomFace, ListCustomPersons, TagCustomPerson`,
      ` images             ${
        images.size === 0 ? 'none (set MTS_EMULATOR_IMAGES_DIR)' : `${images.size} under ` + `${IMAGE_BASE}`
      }; ImageUrls on ${oss.endpoint} are downloaded`,
      ' conventions        see tests/emulators/alibaba-mts/README.md (faces, errors, signatures)',
    ],
    standaloneMtsProvider(emulators),
  );
  return emulators;
});
