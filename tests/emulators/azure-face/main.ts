/**
 * Standalone Azure AI Face (v1.0 person groups) emulator: `npm run emulator:azure-face`
 * (PORT env, default 4590). The subscription key printed below is a fixed, emulator-only value — it is
 * not a real Azure key and works nowhere else.
 */
import { printBanner, runStandalone } from '../common/standalone';
import { STANDALONE_SUBSCRIPTION_KEY, standaloneAzureFaceProvider, startStandaloneAzureFace } from './standalone';

runStandalone('Azure Face', async () => {
  const port = Number(process.env['PORT'] ?? 4590);
  const emulator = await startStandaloneAzureFace(port, process.env['HOST'] ?? '127.0.0.1');
  printBanner(
    ' Azure AI Face emulator (v1.0 person groups) — EMULATOR ONLY, NOT AZURE, FAKE KEY',
    [
      ` endpoint                   ${emulator.endpoint}   (API base ${emulator.endpoint}/face/v1.0)`,
      ` Ocp-Apim-Subscription-Key  ${STANDALONE_SUBSCRIPTION_KEY}`,
      ' images for {"url": ...}    none registered (the standalone emulator downloads nothing: send image bytes)',
      ' conventions                see tests/emulators/azure-face/README.md (faces, confidence, errors)',
    ],
    standaloneAzureFaceProvider(emulator),
  );
  return emulator;
});
