import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresSchema, TEST_POSTGRES_URL, type PostgresSchema } from '../support/ledgers';
import { startTestServer, type TestServer } from '../support/test-server';

// What a PostgreSQL restart does to a replica: every connection of its pool is cut at once (here by
// pg_terminate_backend on the connections of this test's application name only). Requests fail cleanly while it
// lasts, the process stays up, and the next requests succeed on new connections.

const APP = `fg_outage_${process.pid}_${randomBytes(4).toString('hex')}`;
let schema: PostgresSchema;
let server: TestServer;

beforeAll(async () => {
  schema = await createPostgresSchema();
  const url = new URL(schema.url);
  url.searchParams.set('application_name', APP);
  server = await startTestServer({
    ledger: 'sqlite',
    configure: (c) => {
      c.ledger.url = url.toString();
      c.ledger.poolSize = 3;
    },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await schema?.drop();
});

async function libraries(): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ query: '{ libraries { totalCount } }' }),
  });
  return { status: res.status, body: await res.json() };
}

test(
  'cut connections: clean failures at worst, ' + 'then service again, and the pool never grows past its size',
  async () => {
    expect((await libraries()).body).toEqual({ data: { libraries: { totalCount: 0 } } });
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
        [APP],
      );
      expect(cut.rowCount).toBeGreaterThan(0);
      const during = await Promise.all(Array.from({ length: 8 }, () => libraries()));
      for (const answer of during) {
        expect(answer.status).toBeLessThan(500);
        if (answer.body.errors) expect(answer.body.errors[0].message).toBe('Internal server error');
        else expect(answer.body.data.libraries.totalCount).toBe(0);
      }
      const deadline = Date.now() + 10_000;
      let after = await libraries();
      while (after.body.errors && Date.now() < deadline) after = await libraries();
      expect(after.body).toEqual({ data: { libraries: { totalCount: 0 } } });
      const open = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
        APP,
      ]);
      expect(open.rows[0].n).toBeLessThanOrEqual(3);
    } finally {
      await admin.end();
    }
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  },
);
