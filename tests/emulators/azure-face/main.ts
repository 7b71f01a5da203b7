/**
 * Standalone Azure AI Face (v1.0 person groups) emulator: `npm run emulator:azure-face`
 * (PORT env, default 4590). The subscription key printed below is a fixed, emulator-only value — it is
 * not a real Azure key and works nowhere else.
 */
import { printBanner, runStandalone } from '../common/standalone';
import { startAzureFaceEmulator } from './server';

const SUBSCRIPTION_KEY = process.env['AZURE_FACE_EMULATOR_KEY'] ?? 'emulator-only-azure-face-key-00000000';

runStandalone('Azure Face', async () => {
  const emulator = await startAzureFaceEmulator({
    subscriptionKeys: [SUBSCRIPTION_KEY],
    identifyAllowed: process.env['AZURE_FACE_IDENTIFY_ALLOWED'] !== 'false',
    trainingMs: Number(process.env['AZURE_FACE_TRAINING_MS'] ?? 50),
    tier: process.env['AZURE_FACE_TIER'] === 'F0' ? 'F0' : 'S0',
    port: Number(process.env['PORT'] ?? 4590),
    host: process.env['HOST'] ?? '127.0.0.1',
  });
  printBanner(' Azure AI Face emulator (v1.0 person groups) — EMULATOR ONLY, NOT AZURE, FAKE KEY', [
    ` endpoint                   ${emulator.endpoint}   (API base ${emulator.endpoint}/face/v1.0)`,
    ` Ocp-Apim-Subscription-Key  ${SUBSCRIPTION_KEY}`,
    ' images for {"url": ...}    none registered (the standalone emulator downloads nothing: send octet-stream bytes)',
    ' conventions                see tests/emulators/azure-face/README.md (faces, confidence, errors)',
  ]);
  return emulator;
});
