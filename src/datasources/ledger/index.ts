import fs from 'node:fs';
import path from 'node:path';
import type { LedgerStore } from './ledger-store';
import { SqliteLedger } from './sqlite/sqlite-ledger';

export type { LedgerStore } from './ledger-store';

/**
 * Opens and migrates the ledger named by `url`: `sqlite:<path>` (relative to the working directory)
 * or `sqlite::memory:`. PostgreSQL (`postgres://...`) is not implemented yet.
 */
export async function openLedger(url: string): Promise<LedgerStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  // The URL itself is never echoed: a postgres URL may carry a password.
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new Error(
      'The PostgreSQL ledger is not implemented yet: set ledger.url to "sqlite:<path>", e.g. "sqlite:./data/facegraph.db".',
    );
  }
  if (scheme !== 'sqlite') {
    throw new Error(
      `Unsupported ledger URL${scheme ? ` scheme '${scheme}:'` : ''}: use "sqlite:<path>", e.g. "sqlite:./data/facegraph.db", or "sqlite::memory:".`,
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
