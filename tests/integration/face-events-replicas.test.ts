import { Writable } from 'node:stream';
import type { FrsEmulator } from '../emulators/huawei-frs';
import { frsProvider, startTestFrs } from '../support/frs';
import { facePhoto } from '../support/images';
import { createPostgresSchema, type PostgresSchema } from '../support/ledgers';
import { deleteKeysUnder, freePort, TEST_REDIS_URL, uniqueKeyPrefix } from '../support/redis';
import { subscribe, untilSubscribed, type Subscriber } from '../support/subscriptions';
import { gql, startTestServer, type TestServer } from '../support/test-server';

// Two replicas on one PostgreSQL ledger and one Redis: a change committed on one reaches the subscribers of the
// other, once; and a replica whose Redis is gone still writes, and still tells its own subscribers.

const prefix = uniqueKeyPrefix();
let emulator: FrsEmulator;
let schema: PostgresSchema;
let a: TestServer;
let b: TestServer;
const open: Subscriber[] = [];
let photos: Buffer[];

beforeAll(async () => {
  emulator = await startTestFrs();
  schema = await createPostgresSchema();
  const replica = () =>
    startTestServer({
      ledger: 'sqlite',
      configure: (c) => {
        c.ledger.url = schema.url;
        c.redis = { url: TEST_REDIS_URL, prefix };
        c.providers = [frsProvider(emulator, { rateLimitPerSecond: 1000 })];
      },
    });
  a = await replica();
  b = await replica();
  photos = await Promise.all([0, 1].map((variant) => facePhoto('A', 'jpeg', variant)));
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((s) => s.dispose()));
  await a?.close();
  await b?.close();
  await schema?.drop();
  await emulator?.close();
  await deleteKeysUnder(prefix);
});

async function result(server: TestServer, query: string, variables: Record<string, unknown>) {
  const { data, errors } = await gql(server.url, query, variables);
  if (errors) throw new Error(JSON.stringify(errors));
  return data;
}

const CREATE =
  `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { ` +
  `... on CreateLibrarySuccess { library { id } } } }`;
const REGISTER =
  `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { ` + `... on RegisterFaceSuccess { face { id } } } }`;

test(
  'a face registered, ' + 'updated and deleted on replica A reaches a subscriber on replica B, in order, once',
  async () => {
    const libraryId = (await result(a, CREATE, { i: { providerId: 'hw', name: 'events_replicas' } })).createLibrary
      .library.id;
    const onB = subscribe(b, { variables: { libraryId } });
    const onA = subscribe(a, { variables: { libraryId } });
    open.push(onA, onB);
    await untilSubscribed(b, 1);
    await untilSubscribed(a, 1);

    const fromA = (
      await result(a, REGISTER, {
        i: { libraryId, externalImageId: 'from-a', image: { base64: photos[0].toString('base64') } },
      })
    ).registerFace.face.id;
    await result(a, `mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename } }`, {
      i: { faceId: fromA, externalImageId: 'from-a-2' },
    });
    const fromB = (await result(b, REGISTER, { i: { libraryId, image: { base64: photos[1].toString('base64') } } }))
      .registerFace.face.id;
    await result(
      a,
      `mutation($l: ID!, $ids: [ID!]) { deleteFaces(libraryId: $l, filter: { faceIds: $ids }) { __typename } }`,
      { l: libraryId, ids: [fromA] },
    );

    const seenOnB = (await onB.next(4)).map((e) => e.faceEvents);
    expect(seenOnB.map((e) => [e.kind, e.faceId])).toEqual([
      ['REGISTERED', fromA],
      ['UPDATED', fromA],
      ['REGISTERED', fromB],
      ['DELETED', fromA],
    ]);
    expect(seenOnB[0]).toMatchObject({ actor: 'anonymous', face: { id: fromA, externalImageId: 'from-a' } });
    expect(seenOnB[1].face.externalImageId).toBe('from-a-2');
    // A's subscriber sees the same four; neither sees its own replica's events twice (once directly, once via Redis).
    expect((await onA.next(4)).map((e) => e.faceEvents.faceId)).toEqual(seenOnB.map((e) => e.faceId));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([onA.events.length, onB.events.length]).toEqual([4, 4]);
  },
);

test(
  'without its Redis a replica still writes, ' + 'tells its own subscribers, and warns that events are not relayed',
  async () => {
    const lines: string[] = [];
    const nothingListens = await freePort();
    const lost = await startTestServer({
      logTo: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
      configure: (c) => {
        c.redis = { url: `redis://127.0.0.1:${nothingListens}`, prefix };
        c.providers = [frsProvider(emulator, { id: 'hw2', rateLimitPerSecond: 1000 })];
      },
    });
    try {
      const libraryId = (await result(lost, CREATE, { i: { providerId: 'hw2', name: 'events_no_redis' } }))
        .createLibrary.library.id;
      const local = subscribe(lost, { variables: { libraryId } });
      open.push(local);
      await untilSubscribed(lost, 1);
      const face = await result(lost, REGISTER, { i: { libraryId, image: { base64: photos[0].toString('base64') } } });
      expect(face.registerFace.face.id).toEqual(expect.any(String));
      expect((await local.next(1))[0].faceEvents).toMatchObject({
        kind: 'REGISTERED',
        faceId: face.registerFace.face.id,
      });
      const warnings = lines.filter((l) => l.includes('face events not relayed'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toContain(photos[0].toString('base64').slice(0, 40));
    } finally {
      await lost.close();
    }
  },
);
