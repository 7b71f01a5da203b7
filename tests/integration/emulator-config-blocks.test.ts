import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/server/config';
import { standaloneMtsProvider, startStandaloneMts } from '../emulators/alibaba-mts/standalone';
import { standaloneAzureFaceProvider, startStandaloneAzureFace } from '../emulators/azure-face/standalone';
import { providerBlock, type ProviderEntry } from '../emulators/common/standalone';
import { standaloneFrsProvider, startStandaloneFrs } from '../emulators/huawei-frs/standalone';
import { errorsOf, resultOf } from '../support/graphql-results';
import { facePhoto } from '../support/images';
import { startTestServer } from '../support/test-server';

// The config block each standalone emulator prints (npm run emulator:<vendor>), pasted as is into a file that
// FACEGRAPH_CONFIG names: the real config loader takes it, and the server it configures registers a face.

const emulators: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

/** Each vendor's standalone emulator, started on a free port, and the provider entry its main.ts prints. */
const STANDALONE: [string, () => Promise<ProviderEntry>, boolean][] = [
  ['huawei-frs', async () => standaloneFrsProvider(track(await startStandaloneFrs(0, '127.0.0.1'))), false],
  ['azure-face', async () => standaloneAzureFaceProvider(track(await startStandaloneAzureFace(0, '127.0.0.1'))), true],
  [
    'alibaba-mts',
    async () => standaloneMtsProvider(track(await startStandaloneMts({ mts: 0, oss: 0 }, '127.0.0.1'))),
    true,
  ],
];

function track<T extends { close(): Promise<void> }>(emulator: T): T {
  emulators.push(emulator);
  return emulator;
}

test.each(STANDALONE)(
  'the %s emulator prints a provider block that configures a working server',
  async (name, start, needsPerson) => {
    const printed = providerBlock(await start());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `facegraph-${name}-`));
    fs.writeFileSync(path.join(dir, 'facegraph.yaml'), printed);
    const fromFile = loadConfig({ FACEGRAPH_CONFIG: 'facegraph.yaml' }, dir);
    expect(fromFile.providers).toHaveLength(1);

    const server = await startTestServer({ configure: (c) => void (c.providers = fromFile.providers) });
    try {
      const op = (query: string, variables: Record<string, unknown>) => resultOf(server.url, query, variables);
      const providerId = fromFile.providers[0]!.id;
      const library = await op(
        `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename
        ... on CreateLibrarySuccess { library { id } } ${errorsOf('createLibrary')} } }`,
        {
          i: { providerId, name: 'desk' },
        },
      );
      expect(library.__typename).toBe('CreateLibrarySuccess');
      const libraryId = library.library.id;
      let personId: string | undefined;
      if (needsPerson) {
        const person = await op(
          `mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename
          ... on CreatePersonSuccess { person { id } } ${errorsOf('createPerson')} } }`,
          {
            i: { libraryId, name: 'Ada' },
          },
        );
        expect(person.__typename).toBe('CreatePersonSuccess');
        personId = person.person.id;
      }
      // A base64 image: on MTS it goes through the imageStaging bucket of the OSS emulator.
      const register = `mutation($i: RegisterFaceInput!) {
      registerFace(input: $i) { __typename ${errorsOf('registerFace')} } }`;
      const face = await op(register, {
        i: { libraryId, personId, image: { base64: (await facePhoto('A')).toString('base64') } },
      });
      expect(face).toEqual({ __typename: 'RegisterFaceSuccess' });
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
