import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LedgerChangeFeed } from '../../src/datasources/ledger/postgres/change-feed';

// Against the PostgreSQL on 127.0.0.1 (trust auth, database `test`): a channel and an application name of this
// run's own, so runs never see each other's notifications.

const RUN = `${process.pid}_${randomBytes(4).toString('hex')}`;
const CHANNEL = `fg_test_feed_${RUN}`;
const APP = `fgfeed_${RUN}`;
const BASE = 'postgres://postgres@127.0.0.1:5432/test';

let admin: pg.Client;
let storedVersion = '7';
let feed: LedgerChangeFeed;

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

beforeAll(async () => {
  admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  feed = new LedgerChangeFeed({
    connectionString: `${BASE}?application_name=${APP}`,
    channel: CHANNEL,
    readVersion: async () => storedVersion,
    retryMs: { first: 20, max: 200 },
  });
  await feed.start();
});
afterAll(async () => {
  await feed?.close();
  await admin?.end();
});

test('the version read at start is current until a notification brings another', async () => {
  const first = feed.current();
  expect(feed.current()).toBe(first);
  expect(first).toMatch(/:7$/);
  await admin.query('SELECT pg_notify($1, $2)', [CHANNEL, '8']);
  await until(() => feed.current() !== first);
  expect(feed.current()).toMatch(/:8$/);
  expect(feed.current()).toBe(feed.current());
});

test('a lost connection makes every call a new version until it is back, then the stored version is read again', async () => {
  const before = feed.current();
  storedVersion = '9';
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [APP]);
  await until(() => !feed.listening);
  const blind = [feed.current(), feed.current()];
  expect(blind[0]).not.toBe(blind[1]);
  expect(blind).not.toContain(before);
  await until(() => feed.listening);
  const after = feed.current();
  expect(after).toMatch(/:9$/);
  expect(after).not.toBe(before);
  await admin.query('SELECT pg_notify($1, $2)', [CHANNEL, '10']);
  await until(() => feed.current().endsWith(':10'));
});
