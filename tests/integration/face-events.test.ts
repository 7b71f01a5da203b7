import WebSocket from 'ws';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { MAX_SUBSCRIPTIONS_PER_SOCKET } from '../../src/server/subscriptions';
import { facePhoto, makeImage } from '../support/images';
import { subscribe, untilSubscribed, type Subscriber } from '../support/subscriptions';
import { startTestServer, type TestServer } from '../support/test-server';

// faceEvents over graphql-ws at /graphql, with a real client, against the real server over real HTTP and WebSocket.

const SECRETS = {
  writer: newApiKeySecret(),
  reader: newApiKeySecret(),
  searcher: newApiKeySecret(),
  limited: newApiKeySecret(),
};

let server: TestServer;
const open: Subscriber[] = [];
let photos: Buffer[];

beforeAll(async () => {
  server = await startTestServer({
    configure: (config) => {
      config.providers = [
        { id: 'local', kind: 'LOCAL' },
        { id: 'local2', kind: 'LOCAL' },
      ];
      config.auth = {
        keys: [
          { id: 'writer', sha256: sha256Hex(SECRETS.writer), scopes: ['read', 'write', 'admin'] },
          { id: 'reader', sha256: sha256Hex(SECRETS.reader), scopes: ['read'] },
          { id: 'searcher', sha256: sha256Hex(SECRETS.searcher), scopes: ['search'] },
          {
            id: 'limited',
            sha256: sha256Hex(SECRETS.limited),
            scopes: ['read', 'write', 'admin'],
            providers: ['local2'],
          },
        ],
      };
    },
  });
  photos = await Promise.all([0, 1, 2, 3].map((variant) => facePhoto('A', 'jpeg', variant)));
}, 60_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});
afterAll(async () => server?.close());

function listen(options: Parameters<typeof subscribe>[1]): Subscriber {
  const subscriber = subscribe(server, options);
  open.push(subscriber);
  return subscriber;
}

async function call(query: string, variables: Record<string, unknown> = {}, secret = SECRETS.writer) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function createLibrary(providerId: string, name: string, secret = SECRETS.writer): Promise<string> {
  const data = await call(
    `mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { ... on CreateLibrarySuccess { library { id } } } }`,
    { i: { providerId, name, fields: [{ name: 'dept', type: 'STRING' }] } },
    secret,
  );
  return data.createLibrary.library.id;
}

async function register(
  libraryId: string,
  image: Buffer,
  extra: Record<string, unknown> = {},
  secret = SECRETS.writer,
) {
  const data = await call(
    `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ` +
      `... on RegisterFaceSuccess { face { id } } } }`,
    { i: { libraryId, image: { base64: image.toString('base64') }, ...extra } },
    secret,
  );
  return data.registerFace;
}

const DELETE_FACES =
  `mutation($l: ID!, $f: FaceFilter!, $dry: Boolean) { deleteFaces(libraryId: $l, filter: $f, ` +
  `dryRun: $dry) {
  __typename ... on DeleteFacesSuccess { deletedCount } } }`;

test('REGISTERED, UPDATED and DELETED arrive after their commits, in order, with the actor and the face', async () => {
  const libraryId = await createLibrary('local', 'events_order');
  const subscriber = listen({ secret: SECRETS.reader, variables: { libraryId } });
  await untilSubscribed(server, 1);

  const registered = await register(libraryId, photos[0], { externalImageId: 'e-1', fields: { dept: 'sales' } });
  const faceId = registered.face.id;
  await call(`mutation($i: UpdateFaceInput!) { updateFace(input: $i) { __typename } }`, {
    i: { faceId, fields: { dept: 'ops' } },
  });
  // Neither a dry run nor a refused image changes anything: no event.
  await call(DELETE_FACES, { l: libraryId, f: { faceIds: [faceId] }, dry: true });
  expect((await register(libraryId, await makeImage('jpeg', 200, 200))).__typename).toBe('ImageRejectedError');
  await call(DELETE_FACES, { l: libraryId, f: { faceIds: [faceId] } });

  const events = await subscriber.next(3);
  expect(events.map((e) => e.faceEvents.kind)).toEqual(['REGISTERED', 'UPDATED', 'DELETED']);
  for (const { faceEvents } of events) expect(faceEvents).toMatchObject({ faceId, libraryId, actor: 'writer' });
  expect(events[0].faceEvents.face).toEqual({ id: faceId, externalImageId: 'e-1', fields: { dept: 'sales' } });
  expect(events[1].faceEvents.face).toEqual({ id: faceId, externalImageId: 'e-1', fields: { dept: 'ops' } });
  expect(events[2].faceEvents.face).toBeNull();
  const times = events.map((e) => Date.parse(e.faceEvents.at));
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  // Nothing more came (the dry run and the refused image), even after a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(subscriber.events).toHaveLength(3);
});

test('every face a deleteFaces filter, a deletePerson or a deleteLibrary removes is announced', async () => {
  const libraryId = await createLibrary('local', 'events_bulk');
  const subscriber = listen({ secret: SECRETS.reader, variables: { libraryId } });
  await untilSubscribed(server, 1);
  const person = await call(
    `mutation($i: CreatePersonInput!) { createPerson(input: $i) { ... on CreatePersonSuccess { person { id } } } }`,
    { i: { libraryId, externalId: 'p-1' } },
  );
  const personId = person.createPerson.person.id;
  const onPerson = [
    await register(libraryId, photos[0], { personId }),
    await register(libraryId, photos[1], { personId }),
  ];
  const byFilter = await register(libraryId, photos[2], { fields: { dept: 'gone' } });
  const lastOne = await register(libraryId, photos[3]);
  await call(DELETE_FACES, { l: libraryId, f: { fields: { dept: 'gone' } } });
  await call(`mutation($id: ID!) { deletePerson(id: $id) { __typename } }`, { id: personId });
  await call(`mutation($id: ID!) { deleteLibrary(id: $id) { __typename } }`, { id: libraryId });

  const events = (await subscriber.next(8)).map((e) => e.faceEvents);
  expect(events.slice(0, 4).map((e) => e.kind)).toEqual(['REGISTERED', 'REGISTERED', 'REGISTERED', 'REGISTERED']);
  const deleted = events.slice(4).map((e) => [e.kind, e.faceId]);
  expect(deleted[0]).toEqual(['DELETED', byFilter.face.id]);
  expect(new Set(deleted.slice(1, 3).map(([, id]) => id))).toEqual(new Set(onPerson.map((r) => r.face.id)));
  expect(deleted[3]).toEqual(['DELETED', lastOne.face.id]);
});

test('libraryId picks one library; without it, every library the credential may see', async () => {
  const first = await createLibrary('local', 'events_a');
  const second = await createLibrary('local', 'events_b');
  const onFirst = listen({ secret: SECRETS.reader, variables: { libraryId: first } });
  const onAll = listen({ secret: SECRETS.reader });
  await untilSubscribed(server, 2);

  const inSecond = await register(second, photos[0]);
  const inFirst = await register(first, photos[1]);

  expect((await onAll.next(2)).map((e) => e.faceEvents.faceId)).toEqual([inSecond.face.id, inFirst.face.id]);
  expect((await onFirst.next(1)).map((e) => e.faceEvents.faceId)).toEqual([inFirst.face.id]);
  expect(onFirst.events).toHaveLength(1);
});

test("a key limited to some providers sees only their libraries' events", async () => {
  const visible = await createLibrary('local2', 'events_visible', SECRETS.limited);
  const hidden = await createLibrary('local', 'events_hidden');
  const limited = listen({ secret: SECRETS.limited });
  await untilSubscribed(server, 1);
  await register(hidden, photos[0]);
  const seen = await register(visible, photos[1], {}, SECRETS.limited);
  expect((await limited.next(1)).map((e) => e.faceEvents)).toEqual([
    expect.objectContaining({ faceId: seen.face.id, actor: 'limited' }),
  ]);
  expect(limited.events).toHaveLength(1);

  const byId = listen({ secret: SECRETS.limited, variables: { libraryId: hidden } });
  expect(await byId.errors).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) }),
  ]);
});

test('connection_init without a valid credential closes with 4401; one without the read scope with 4403', async () => {
  const none = listen({ secret: null });
  const wrong = listen({ secret: newApiKeySecret() });
  const searcher = listen({ secret: SECRETS.searcher });
  expect(await none.closed).toEqual({ code: 4401, reason: expect.stringContaining('credential is required') });
  expect(await wrong.closed).toEqual({ code: 4401, reason: expect.stringContaining('not known') });
  expect(await searcher.closed).toEqual({ code: 4403, reason: expect.stringContaining('read scope') });
});

test(`a WebSocket holds at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions`, async () => {
  const first = listen({ secret: SECRETS.reader });
  const others = Array.from({ length: MAX_SUBSCRIPTIONS_PER_SOCKET }, () => listen({ client: first.client }));
  const refused = others[others.length - 1];
  expect(await refused.errors).toEqual([expect.objectContaining({ extensions: { code: 'LIMIT_EXCEEDED' } })]);
  await untilSubscribed(server, MAX_SUBSCRIPTIONS_PER_SOCKET);
  expect(server.facegraph.services.faceEvents.subscriberCount).toBe(MAX_SUBSCRIPTIONS_PER_SOCKET);
});

test.each([
  ['a Host this server does not answer to', { host: 'rebound.example' }],
  ['a page of another origin', { origin: 'http://evil.example' }],
])('the upgrade from %s is refused with 403', async (_what, headers) => {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers });
  const status = await new Promise<number>((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => undefined);
  });
  socket.terminate();
  expect(status).toBe(403);
});

test('a page of this server (its own origin) may connect', async () => {
  const origin = server.origin.replace('127.0.0.1', 'localhost');
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { origin } });
  await new Promise<void>((resolve, reject) => {
    socket.on('open', () => resolve());
    socket.on('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
  });
  socket.close();
});

test(
  'queries and mutations are refused over the WebSocket: they go over HTTP, ' + 'where the rate limit applies',
  async () => {
    const libraryId = await createLibrary('local', 'events_no_ws_mutation');
    const mutation = listen({
      secret: SECRETS.writer,
      query: `mutation($l: ID!) { deleteLibrary(id: $l) { __typename } }`,
      variables: { l: libraryId },
    });
    expect(await mutation.errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining('send a mutation as an HTTP POST') }),
    ]);
    const still = await call(`query($id: ID!) { library(id: $id) { id } }`, { id: libraryId });
    expect(still.library).toEqual({ id: libraryId });
  },
);
