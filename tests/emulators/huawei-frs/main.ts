/**
 * Standalone Huawei FRS emulator: `npm run emulator:huawei-frs` (PORT env, default 4580).
 * The credentials printed below are fixed, emulator-only values — they are not real Huawei secrets.
 */
import { printBanner, runStandalone } from '../common/standalone';
import {
  STANDALONE_ACCESS_KEY,
  STANDALONE_IAM_USER,
  STANDALONE_TOKEN,
  standaloneFrsProvider,
  startStandaloneFrs,
} from './standalone';

runStandalone('FRS', async () => {
  const emulator = await startStandaloneFrs(Number(process.env['PORT'] ?? 4580), process.env['HOST'] ?? '127.0.0.1');
  const user = STANDALONE_IAM_USER;
  printBanner(
    ' Huawei Cloud FRS emulator (face sets v2) — EMULATOR-ONLY CREDENTIALS, NOT REAL HUAWEI SECRETS',
    [
      ` endpoint           ${emulator.endpoint}`,
      ` iam endpoint       ${emulator.iamEndpoint}   (POST /v3/auth/tokens)`,
      ` project id         ${emulator.projectId}   (IAM scope project name: ${emulator.region})`,
      ` access key id      ${STANDALONE_ACCESS_KEY.accessKeyId}`,
      ` secret access key  ${STANDALONE_ACCESS_KEY.secretAccessKey}`,
      ` X-Auth-Token       ${STANDALONE_TOKEN}   (credentials: { token: ... })`,
      ` IAM user           ${user.name} / ${user.password} (domain ${user.domainName})` +
        '   (credentials: { username, password, domainName })',
      ' conventions        see tests/emulators/huawei-frs/README.md (faces, similarity, errors)',
    ],
    standaloneFrsProvider(emulator),
  );
  return emulator;
});
