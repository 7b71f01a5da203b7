import fs from 'node:fs';
import path from 'node:path';
import type { LedgerStore } from './ledger-store';
import { PostgresLedger } from './postgres/postgres-ledger';
import { SqliteLedger } from './sqlite/sqlite-ledger';

export type { LedgerStore } from './ledger-store';

export interface LedgerOptions {
  /** PostgreSQL: connections the pool opens at most. */
  poolSize?: number;
}

// The configuration's default (ledger.poolSize) too.
const DEFAULT_LEDGER_POOL_SIZE = 10;

/**
 * Opens and migrates the ledger named by `url`: `sqlite:<path>` (relative to the working directory),
 * `sqlite::memory:`, or `postgres://user[:password]@host[:port]/database` (`postgresql://` too; libpq's query
 * parameters such as `?options=-c search_path=...` or `?sslmode=...` apply).
 */
export async function openLedger(url: string, options: LedgerOptions = {}): Promise<LedgerStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  // The URL itself is never echoed: a postgres URL may carry a password.
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return openPostgresLedger(url, options.poolSize ?? DEFAULT_LEDGER_POOL_SIZE);
  }
  if (scheme !== 'sqlite') {
    throw new Error(
      `Unsupported ledger URL${scheme ? ` scheme '${scheme}:'` : ''}: use "sqlite:<path>" ` +
        '(e.g. "sqlite:./data/facegraph.db"), "sqlite::memory:" or "postgres://user@host:5432/database".',
    );
  }
  const target = url.slice('sqlite:'.length);
  if (target === '')
    throw new Error('The ledger URL "sqlite:" names no file: use "sqlite:<path>" or "sqlite::memory:".');
  let filename = ':memory:';
  if (target !== ':memory:') {
    filename = path.resolve(target);
    fs.mkdirSync(path.dirname(filename), { recursive: true });
  }
  const ledger = SqliteLedger.open(filename);
  try {
    await ledger.migrate();
  } catch (e) {
    await ledger.close();
    throw e;
  }
  return ledger;
}

async function openPostgresLedger(url: string, poolSize: number): Promise<LedgerStore> {
  const ledger = PostgresLedger.open(url, { poolSize });
  try {
    await ledger.migrate();
  } catch (e) {
    await ledger.close();
    const password = passwordOf(url);
    const reason = e instanceof Error ? e.message : String(e);
    const told = password ? reason.split(password).join('***') : reason;
    throw new Error(`Could not open the PostgreSQL ledger (${where(url)}): ${told}`, { cause: e });
  }
  return ledger;
}

/** host:port/database of a postgres URL, without its user or password. */
function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
