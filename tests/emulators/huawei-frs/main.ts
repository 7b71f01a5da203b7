/**
 * Standalone Huawei FRS emulator: `npm run emulator:huawei-frs` (PORT env, default 4580).
 * The credentials printed below are fixed, emulator-only values — they are not real Huawei secrets.
 */
import { printBanner, runStandalone } from '../common/standalone';
import { startFrsEmulator } from './server';

const PROJECT_ID = process.env['FRS_EMULATOR_PROJECT_ID'] ?? '0123456789abcdef0123456789abcdef';
const ACCESS_KEY_ID = 'EMULATORAKFRS0000001';
const SECRET_ACCESS_KEY = 'emulator-only-secret-key-not-a-real-huawei-sk';
const TOKEN = 'emulator-only-token-frs';
const IAM_USER = { name: 'emulator-user', password: 'emulator-password', domainName: 'emulator-account' };

runStandalone('FRS', async () => {
  const emulator = await startFrsEmulator({
    projectId: PROJECT_ID,
    credentials: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }],
    tokens: [TOKEN],
    iamUsers: [IAM_USER],
    port: Number(process.env['PORT'] ?? 4580),
    host: process.env['HOST'] ?? '127.0.0.1',
  });
  printBanner(' Huawei Cloud FRS emulator (face sets v2) — EMULATOR-ONLY CREDENTIALS, NOT REAL HUAWEI SECRETS', [
    ` endpoint           ${emulator.endpoint}`,
    ` iam endpoint       ${emulator.iamEndpoint}   (POST /v3/auth/tokens)`,
    ` project id         ${emulator.projectId}   (IAM scope project name: ${emulator.region})`,
    ` access key id      ${ACCESS_KEY_ID}`,
    ` secret access key  ${SECRET_ACCESS_KEY}`,
    ` X-Auth-Token       ${TOKEN}`,
    ` IAM user           ${IAM_USER.name} / ${IAM_USER.password} (domain ${IAM_USER.domainName})`,
    ' conventions        see tests/emulators/huawei-frs/README.md (faces, similarity, errors)',
  ]);
  return emulator;
});
