import type { IncomingMessage } from 'node:http';
import type { LedgerStore } from '../datasources/ledger/ledger-store';

// The ledger's change version, read at most once per HTTP request: the remembered API keys (auth) and the
// response cache's hit path both check it, and on PostgreSQL each read is a round trip. A request sees the
// ledger as it was when the version was first read, which is within the request's lifetime.

const VERSION = Symbol('facegraph ledger version');

type WithVersion = IncomingMessage & { [VERSION]?: Promise<string> };

export function requestLedgerVersion(ledger: LedgerStore): (req: IncomingMessage) => Promise<string> {
  return (req) => {
    const r = req as WithVersion;
    let version = r[VERSION];
    if (!version) {
      version = ledger.changeVersion();
      // A failed read is not kept: the next reader tries again (and reports the failure its own way).
      version.catch(() => {
        if (r[VERSION] === version) delete r[VERSION];
      });
      r[VERSION] = version;
    }
    return version;
  };
}
