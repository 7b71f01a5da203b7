import { runInAuditScope } from '../../src/datasources/ledger/audit-scope';
import type { FaceRecord } from '../../src/domain/model';
import { FaceEvents, MAX_QUEUED_EVENTS_PER_SUBSCRIBER, type FaceEventRelay } from '../../src/services/face-events';

// The event bus alone: filtering, the bound on what one subscriber may leave unread, and the relay between replicas.

function face(vendorFaceId: string, providerId = 'local'): FaceRecord {
  const at = new Date('2026-12-05T03:00:00Z');
  return {
    rowId: 1,
    libraryRowId: 1,
    personRowId: null,
    personExternalId: null,
    providerId,
    libraryName: 'staff',
    vendorFaceId,
    externalImageId: null,
    fields: {},
    userData: null,
    boundingBox: null,
    imageSha256: null,
    status: 'ACTIVE',
    createdAt: at,
    updatedAt: at,
  };
}

async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push((await iterator.next()).value as T);
  return out;
}

test('a subscriber gets what its filter accepts, in publication order, with the actor of the audit scope', async () => {
  const events = new FaceEvents();
  const local = events.subscribe((e) => e.providerId === 'local');
  await runInAuditScope(
    {
      entry: { actor: 'key-1', operation: 'registerFace', targetIds: [], clientAddress: null },
      successOutcome: 'x',
      recorded: false,
    },
    async () => {
      events.registered(face('a'));
      events.registered(face('b', 'other'));
      events.deleted([face('c'), face('d')]);
    },
  );
  events.updated(face('a'));
  const got = await take(local, 4);
  expect(got.map((e) => [e.kind, e.face?.vendorFaceId ?? null, e.actor])).toEqual([
    ['REGISTERED', 'a', 'key-1'],
    ['DELETED', null, 'key-1'],
    ['DELETED', null, 'key-1'],
    ['UPDATED', 'a', 'system'],
  ]);
});

test(
  `a subscriber more than ${MAX_QUEUED_EVENTS_PER_SUBSCRIBER} events behind is ended, ` + `after what it had queued`,
  async () => {
    const events = new FaceEvents();
    const slow = events.subscribe(() => true);
    for (let i = 0; i <= MAX_QUEUED_EVENTS_PER_SUBSCRIBER; i++) events.registered(face(`f${i}`));
    expect(events.subscriberCount).toBe(0);
    const queued = await take(slow, MAX_QUEUED_EVENTS_PER_SUBSCRIBER);
    expect(queued[queued.length - 1].face?.vendorFaceId).toBe(`f${MAX_QUEUED_EVENTS_PER_SUBSCRIBER - 1}`);
    expect(await slow.next()).toEqual({ value: undefined, done: true });
  },
);

test('return() unsubscribes, and close() ends every subscription', async () => {
  const events = new FaceEvents();
  const a = events.subscribe(() => true);
  const b = events.subscribe(() => true);
  const pending = b.next();
  await a.return!();
  expect(events.subscriberCount).toBe(1);
  events.close();
  expect(await pending).toEqual({ value: undefined, done: true });
  expect(events.subscriberCount).toBe(0);
});

test("replicas joined by a relay see each other's events once, with dates revived", async () => {
  const listeners: ((message: string) => void)[] = [];
  const relay: FaceEventRelay = {
    publish: async (message) => listeners.forEach((deliver) => deliver(message)),
    listen: (onMessage) => listeners.push(onMessage),
  };
  const a = new FaceEvents();
  const b = new FaceEvents();
  a.relayThrough(relay);
  b.relayThrough(relay);
  const onA = a.subscribe(() => true);
  const onB = b.subscribe(() => true);
  a.registered(face('from-a'));
  b.updated(face('from-b'));
  const [seenOnB] = await take(onB, 1);
  expect(seenOnB.face?.createdAt).toEqual(new Date('2026-12-05T03:00:00Z'));
  expect(seenOnB.at).toBeInstanceOf(Date);
  expect((await take(onA, 2)).map((e) => e.face?.vendorFaceId)).toEqual(['from-a', 'from-b']);
  expect((await take(onB, 1)).map((e) => e.face?.vendorFaceId)).toEqual(['from-b']);
  // Nothing else is queued: neither replica got its own event back.
  a.close();
  b.close();
  expect(await onA.next()).toEqual({ value: undefined, done: true });
  expect(await onB.next()).toEqual({ value: undefined, done: true });
});

test('a relay that fails does not stop local delivery, and is reported', async () => {
  const failures: unknown[] = [];
  const events = new FaceEvents((e) => failures.push(e));
  events.relayThrough({ publish: () => Promise.reject(new Error('Redis is away')), listen: () => undefined });
  const local = events.subscribe(() => true);
  events.registered(face('a'));
  expect((await take(local, 1))[0].face?.vendorFaceId).toBe('a');
  await new Promise((resolve) => setImmediate(resolve));
  expect(failures).toEqual([new Error('Redis is away')]);
});
