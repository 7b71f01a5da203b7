import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { createPostgresSchema, LEDGER_BACKENDS, type PostgresSchema } from '../support/ledgers';
import { facePhoto } from '../support/images';
import { frsProvider, startTestFrs } from '../support/frs';
import { errorsOf, resultOf } from '../support/graphql-results';
import { startTestServer, type TestServer } from '../support/test-server';

// Two replicas (two servers, each with its own process-local locks) on one ledger: concurrent registrations with the
// same idempotencyKey, spread over both, make one vendor call and one face; the others replay it.

const SAME_KEY_REQUESTS = 30;

describe.each(LEDGER_BACKENDS)('on a %s ledger', (backend) => {
  let emulator: FrsEmulator;
  const replicas: TestServer[] = [];
  let ledgerDir: string;
  let schema: PostgresSchema | null = null;

  beforeAll(async () => {
    emulator = await startTestFrs();
    ledgerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-replicas-'));
    schema = backend === 'postgres' ? await createPostgresSchema() : null;
    const ledgerUrl = schema ? schema.url : `sqlite:${path.join(ledgerDir, 'shared.db')}`;
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startTestServer({
          ledger: 'sqlite',
          configure: (c) => {
            c.ledger.url = ledgerUrl;
            c.providers = [frsProvider(emulator, { rateLimitPerSecond: 1000 })];
          },
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await emulator?.close();
    await schema?.drop();
    fs.rmSync(ledgerDir, { recursive: true, force: true });
  });

  const register = (server: TestServer, input: Record<string, unknown>) =>
    resultOf(
      server.url,
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
        ... on RegisterFaceSuccess { replayed face { id vendorFaceId } } ${errorsOf('registerFace')} } }`,
      { i: input },
    );

  test(
    `${SAME_KEY_REQUESTS} concurrent same-key registrations over two replicas: one vendor call, ` + `one face`,
    async () => {
      const created = await resultOf(
        replicas[0].url,
        `mutation { createLibrary(input: { providerId: "hw", ` +
          `name: "badges" }) { __typename ... on CreateLibrarySuccess { library { id } } } }`,
      );
      const libraryId = created.library.id;
      // The first add at FRS answers slowly, so that every other request arrives while it is in flight.
      emulator.faults.next({ operation: 'addFaces', kind: 'delay', ms: 600 });
      const image = { base64: (await facePhoto('A', 'jpeg')).toString('base64') };
      const addsBefore = emulator.requests.filter((r) => r.operation === 'addFaces').length;

      const results = await Promise.all(
        Array.from({ length: SAME_KEY_REQUESTS }, (_, i) =>
          register(replicas[i % 2], { libraryId, image, idempotencyKey: 'badge-7', externalImageId: 'b7' }),
        ),
      );

      const adds = emulator.requests.filter((r) => r.operation === 'addFaces').length - addsBefore;
      expect(adds).toBe(1);
      expect(emulator.state.faces('badges')).toHaveLength(1);
      const typenames = results.map((r) => r.__typename);
      expect(typenames.every((t) => t === 'RegisterFaceSuccess')).toBe(true);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.face.vendorFaceId)).size).toBe(1);
      const faces = await resultOf(replicas[1].url, `query($id: ID!) { library(id: $id) { faceCount } }`, {
        id: libraryId,
      });
      expect(faces.faceCount).toBe(1);
    },
  );

  test(
    'a claim is held while live, ' + 'taken over once stale (its replica died), and free again once released',
    async () => {
      const { ledger } = replicas[0].facegraph;
      expect(await ledger.claimIdempotencyKey('hw', 'orphan', 'h1', 60_000)).toEqual({ state: 'claimed' });
      expect(await ledger.claimIdempotencyKey('hw', 'orphan', 'h1', 60_000)).toEqual({
        state: 'busy',
        requestHash: 'h1',
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await ledger.claimIdempotencyKey('hw', 'orphan', 'h2', 10)).toEqual({ state: 'claimed' });
      await ledger.releaseIdempotencyClaim('hw', 'orphan');
      expect(await ledger.claimIdempotencyKey('hw', 'orphan', 'h3', 60_000)).toEqual({ state: 'claimed' });
    },
  );
});
