import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { parse } from 'graphql';
import sharp from 'sharp';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { createPostgresSchema, type PostgresSchema } from '../support/ledgers';
import { frsProvider, startTestFrs } from '../support/frs';
import { deleteKeysUnder, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';

// Three replicas of the built server (child processes, as in production) on one PostgreSQL ledger and one Redis,
// behind @apollo/gateway spreading requests over them: a write on one is read on the next; same-key registrations
// over all three make one vendor call; a replica killed with SIGKILL under load loses no acknowledged write.

const MAIN = path.resolve(__dirname, '../../dist/src/server/main.js');
const SDL = fs.readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8');

interface Replica {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

let schema: PostgresSchema;
let emulator: FrsEmulator;
let redisPrefix: string;
let configFile: string;
const replicas: Replica[] = [];
let gateway: { url: string; stop(): Promise<void> };
let image: string;

function startReplica(): Promise<Replica> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-replica-'));
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: {
      ...process.env,
      FACEGRAPH_CONFIG: configFile,
      PORT: '0',
      HOST: '127.0.0.1',
      FACEGRAPH_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => void (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`replica not ready: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /facegraph ready: GraphiQL at http:\/\/localhost:(\d+)\/graphql/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      resolve({ child, url: `http://127.0.0.1:${match[1]}/graphql`, exited });
    });
  });
}

/** The router in front: one subgraph, its requests spread over the replicas in turn. */
async function startGateway(urls: () => string[]) {
  const composed = composeServices([{ name: 'facegraph', typeDefs: parse(SDL), url: urls()[0] }]);
  if (!composed.supergraphSdl) throw new Error(JSON.stringify(composed.errors));
  let turn = 0;
  const server = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      buildService: () =>
        new (class extends RemoteGraphQLDataSource {
          override willSendRequest() {
            const live = urls();
            this.url = live[turn++ % live.length];
          }
        })({ url: urls()[0] }),
    }),
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

const REGISTER = `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename
  ... on RegisterFaceSuccess { replayed face { id vendorFaceId } } ... on Error { code message } } }`;

beforeAll(async () => {
  schema = await createPostgresSchema();
  emulator = await startTestFrs();
  redisPrefix = uniqueKeyPrefix();
  configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-replicas-config-')), 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      ledger: { url: schema.url, poolSize: 4 },
      redis: { url: TEST_REDIS_URL, prefix: redisPrefix },
      server: { responseCacheBytes: 8 * 1024 * 1024 },
      providers: [frsProvider(emulator, { rateLimitPerSecond: 200 })],
    }),
  );
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
  gateway = await startGateway(() =>
    replicas.filter((r) => r.child.exitCode === null && !r.child.killed).map((r) => r.url),
  );
  image = (
    await sharp({ create: { width: 240, height: 240, channels: 3, background: '#a07050' } })
      .jpeg()
      .toBuffer()
  ).toString('base64');
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  for (const replica of replicas) {
    if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
    await replica.exited;
  }
  await emulator?.close();
  await schema?.drop();
  if (redisPrefix) await deleteKeysUnder(redisPrefix);
});

let libraryId: string;

test('a write acknowledged by one replica is read on the next, through the gateway and directly', async () => {
  const created = await post(
    replicas[0].url,
    `mutation { createLibrary(input: { providerId: "hw", name: "gates" }) {
    __typename ... on CreateLibrarySuccess { library { id } } } }`,
  );
  libraryId = created.data.createLibrary.library.id;
  const LIST = `{ libraries { edges { node { name displayName } } } }`;
  // Fill every replica's read cache first: a stale cached answer is what would show an old read.
  for (const replica of replicas) await post(replica.url, LIST);
  await post(replicas[1].url, `mutation($i: UpdateLibraryInput!) { updateLibrary(input: $i) { __typename } }`, {
    i: { id: libraryId, displayName: 'Gate 7' },
  });
  for (const replica of [replicas[2], replicas[0]]) {
    const read = await post(replica.url, LIST);
    expect(read.data.libraries.edges).toEqual([{ node: { name: 'gates', displayName: 'Gate 7' } }]);
  }
  const viaGateway = await post(gateway.url, `query($id: ID!) { library(id: $id) { displayName } }`, { id: libraryId });
  expect(viaGateway.data.library.displayName).toBe('Gate 7');
});

test('30 concurrent same-key registrations spread over three replicas: one vendor call, one face', async () => {
  emulator.faults.next({ operation: 'addFaces', kind: 'delay', ms: 500 });
  const adds = () => emulator.requests.filter((r) => r.operation === 'addFaces').length;
  const before = adds();
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      post(replicas[i % 3].url, REGISTER, { i: { libraryId, image: { base64: image }, idempotencyKey: 'gate-key' } }),
    ),
  );
  const answers = results.map((r) => r.data.registerFace);
  expect(answers.filter((a) => a.__typename !== 'RegisterFaceSuccess')).toEqual([]);
  expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
  expect(new Set(answers.map((a) => a.face.vendorFaceId)).size).toBe(1);
  expect(adds() - before).toBe(1);
  expect(emulator.state.faces('gates')).toHaveLength(1);
});

test('a replica killed with SIGKILL under load loses no acknowledged write, and the others keep serving', async () => {
  const acknowledged: string[] = [];
  let stop = false;
  const victim = replicas[2];
  const writers = Array.from({ length: 6 }, async (_, lane) => {
    // At most 6 x 15 + 1 faces in the library, so that one page of 100 shows them all.
    for (let n = 0; !stop && n < 15; n++) {
      const replica = replicas[(lane + n) % 3];
      try {
        const result = await post(replica.url, REGISTER, {
          i: {
            libraryId,
            image: { base64: image },
            externalImageId: `load-${lane}-${n}`,
            idempotencyKey: `load-${lane}-${n}`,
          },
        });
        if (result.data?.registerFace?.__typename === 'RegisterFaceSuccess')
          acknowledged.push(result.data.registerFace.face.vendorFaceId);
      } catch {
        // The killed replica's connections fail: nothing was acknowledged on them.
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  victim.child.kill('SIGKILL');
  await victim.exited;
  await new Promise((resolve) => setTimeout(resolve, 400));
  stop = true;
  await Promise.all(writers);

  expect(acknowledged.length).toBeGreaterThan(5);
  const faces = await post(
    replicas[0].url,
    `query($id: ID!) { library(id: $id) { faces(first: 100) { totalCount edges { node { vendorFaceId } } } } }`,
    {
      id: libraryId,
    },
  );
  expect(faces.data.library.faces.totalCount).toBeLessThanOrEqual(100);
  const inLedger = new Set(
    faces.data.library.faces.edges.map((e: { node: { vendorFaceId: string } }) => e.node.vendorFaceId),
  );
  const atVendor = new Set(emulator.state.faces('gates').map((f) => f.face_id));
  for (const id of acknowledged) {
    expect(inLedger.has(id)).toBe(true);
    expect(atVendor.has(id)).toBe(true);
  }
  const afterKill = await post(gateway.url, `{ providers { id } }`);
  expect(afterKill.data.providers).toEqual([{ id: 'hw' }]);
}, 120_000);
