import type { IncomingMessage } from 'node:http';
import type { LedgerStore } from '../datasources/ledger/ledger-store';

// The ledger's change version, read at most once per HTTP request: the remembered API keys (auth) and the
// response cache's hit path both check it, and on PostgreSQL each read is a round trip. A request sees the
// ledger as it was when the version was first read, which is within the request's lifetime.
//
// Requests that ask in the same turn of the event loop share one read, made once that turn's I/O callbacks have
// run (setImmediate): it starts after every one of them arrived, so each still sees every write acknowledged
// before it arrived, and under load the read (a read transaction on SQLite: a third of a cache hit's CPU when
// made per request) is paid once per turn rather than once per request.

const VERSION = Symbol('facegraph ledger version');

type WithVersion = IncomingMessage & { [VERSION]?: Promise<string> };

export function requestLedgerVersion(ledger: LedgerStore): (req: IncomingMessage) => Promise<string> {
  let next: Promise<string> | null = null;
  const sharedRead = (): Promise<string> => {
    if (!next) {
      next = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Whoever asks from now on arrived after this read started: they get the next one.
        next = null;
        return ledger.changeVersion();
      });
    }
    return next;
  };
  return (req) => {
    const r = req as WithVersion;
    let version = r[VERSION];
    if (!version) {
      version = sharedRead();
      // A failed read is not kept: the next reader tries again (and reports the failure its own way).
      version.catch(() => {
        if (r[VERSION] === version) delete r[VERSION];
      });
      r[VERSION] = version;
    }
    return version;
  };
}
