import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openLedger } from '../../src/datasources/ledger';
import type { SqliteLedger } from '../../src/datasources/ledger/sqlite/sqlite-ledger';
import { requestLedgerVersion } from '../../src/server/request-ledger-version';

// The ledger version a request sees: read once per request, shared by the requests that ask in one turn of the
// event loop, and never older than the request.

let dir: string;
let file: string;
let ledger: SqliteLedger;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-version-'));
  file = path.join(dir, 'facegraph.db');
  ledger = (await openLedger(`sqlite:${file}`)) as SqliteLedger;
  await ledger.migrate();
});
afterEach(async () => {
  await ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A request as far as the version is concerned: only its identity matters. */
const request = () => ({}) as IncomingMessage;

/** A commit by another connection to the same file (it moves the version). */
function commitElsewhere() {
  const other = new Database(file);
  try {
    other
      .prepare(
        `INSERT INTO libraries (provider_id, name, display_name, field_schema, vendor_meta, created_at)
         VALUES ('local', ?, NULL, '[]', '{}', ?)`,
      )
      .run(`l${Date.now()}${Math.random()}`, new Date().toISOString());
  } finally {
    other.close();
  }
}

test('requests asking in the same turn share one read; a request asks once however often it is asked', async () => {
  const versionOf = requestLedgerVersion(ledger);
  const [a, b] = [request(), request()];
  const before = ledger.queryCount();
  const versions = await Promise.all([versionOf(a), versionOf(b), versionOf(a)]);
  expect(new Set(versions).size).toBe(1);
  expect(ledger.queryCount() - before).toBe(1);
  expect(await versionOf(a)).toBe(versions[0]);
  expect(ledger.queryCount() - before).toBe(1);
});

test('a request arriving after a commit sees it, also while an earlier request is being answered', async () => {
  const versionOf = requestLedgerVersion(ledger);
  const first = request();
  const seen = await versionOf(first);
  commitElsewhere();
  const later = request();
  const after = await versionOf(later);
  expect(after).not.toBe(seen);
  // The earlier request keeps the version it read.
  expect(await versionOf(first)).toBe(seen);
});

test('a request that asks once the shared read has started gets a read of its own', async () => {
  const versionOf = requestLedgerVersion(ledger);
  const early = versionOf(request());
  let late: Promise<string> | undefined;
  // Runs right after the shared read (both are setImmediate callbacks, in order): after the early read started.
  setImmediate(() => {
    commitElsewhere();
    late = versionOf(request());
  });
  const earlyVersion = await early;
  await new Promise((resolve) => setImmediate(resolve));
  expect(late).toBeDefined();
  expect(await late).not.toBe(earlyVersion);
});
