import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { LedgerStore } from '../../src/datasources/ledger/ledger-store';
import { PostgresLedger } from '../../src/datasources/ledger/postgres/postgres-ledger';
import { SqliteLedger } from '../../src/datasources/ledger/sqlite/sqlite-ledger';

// Fresh ledgers for tests, on either backend: a new SQLite file, or a new schema of the test PostgreSQL database
// (FACEGRAPH_TEST_POSTGRES_URL, by default the local server's `test` database), dropped afterwards, so runs in
// parallel never meet.

export type LedgerBackend = 'sqlite' | 'postgres';
export const LEDGER_BACKENDS: LedgerBackend[] = ['sqlite', 'postgres'];

export const TEST_POSTGRES_URL = process.env.FACEGRAPH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PostgresSchema {
  name: string;
  /** TEST_POSTGRES_URL with this schema as the search_path of every connection. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty schema `fg_test_<pid>_<random>`. */
export async function createPostgresSchema(): Promise<PostgresSchema> {
  const name = `fg_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return { name, url: url.toString(), drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestLedger {
  backend: LedgerBackend;
  /** Opens another store on the same database (not yet migrated). */
  open(): LedgerStore;
  /** Runs one statement (`?` placeholders) on a connection of its own, under the store; returns its rows. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Removes the database (file or schema). Close the stores first. */
  dispose(): Promise<void>;
}

export async function createTestLedger(backend: LedgerBackend, label = 'ledger'): Promise<TestLedger> {
  if (backend === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-ledger-'));
    const file = path.join(dir, `${label.replace(/\W+/g, '-').slice(0, 80)}.db`);
    return {
      backend,
      open: () => SqliteLedger.open(file),
      async sql<T>(text: string, params: unknown[] = []) {
        const db = new Database(file);
        try {
          db.pragma('foreign_keys = ON');
          const statement = db.prepare(text);
          if (statement.reader) return statement.all(...params) as T[];
          statement.run(...params);
          return [];
        } finally {
          db.close();
        }
      },
      async dispose() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = await createPostgresSchema();
  return {
    backend,
    open: () => PostgresLedger.open(schema.url, { poolSize: 4 }),
    async sql<T>(text: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        let n = 0;
        const result = await client.query(
          text.replace(/\?/g, () => `$${++n}`),
          params,
        );
        return result.rows as T[];
      } finally {
        await client.end();
      }
    },
    dispose: () => schema.drop(),
  };
}
