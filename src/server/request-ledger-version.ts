import type { IncomingMessage } from 'node:http';
import type { LedgerStore } from '../datasources/ledger/ledger-store';

// The ledger's change version, read at most once per HTTP request: the remembered API keys (auth), the response
// cache's hit path and the library records kept across requests all use it, and on PostgreSQL each read is a round
// trip. A request sees the ledger as it was when the version was first read, which is within the request's
// lifetime: every read for a request starts after the request arrived.
//
// Requests that ask in the same turn of the event loop share one read, made once that turn's I/O callbacks have
// run (setImmediate): it starts after every one of them arrived, so each still sees every write acknowledged
// before it arrived, and under load the read (a read transaction on SQLite: a third of a cache hit's CPU when
// made per request) is paid once per turn rather than once per request.
//
// A request that needs the version only later (a read the response cache holds no answer for: the version is
// waited for just before the operation runs) asks with `startingNow`: when no read is under way or planned, its read
// starts at once instead of at the end of the turn, so the round trip overlaps the request's own work up to its
// execution (the HTTP route and Apollo's steps before execution: measured on PostgreSQL, about as long as the read
// itself). While reads are under way (load), it shares the turn's read as above.

const VERSION = Symbol('facegraph ledger version');

type WithVersion = IncomingMessage & { [VERSION]?: Promise<string> };

export interface RequestLedgerVersion {
  /** The request's version, read once per turn for every request that asks in it. */
  (req: IncomingMessage): Promise<string>;
  /** As above, but started at once when the ledger has no version read under way or planned. */
  startingNow(req: IncomingMessage): Promise<string>;
}

export function requestLedgerVersion(ledger: LedgerStore): RequestLedgerVersion {
  let planned: Promise<string> | null = null;
  let underWay = 0;
  const read = (): Promise<string> => {
    underWay++;
    return ledger.changeVersion().finally(() => underWay--);
  };
  const sharedRead = (): Promise<string> => {
    if (!planned) {
      planned = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Whoever asks from now on arrived after this read started: they get the next one.
        planned = null;
        return read();
      });
    }
    return planned;
  };
  const versionOf = (req: IncomingMessage, start: () => Promise<string>): Promise<string> => {
    const r = req as WithVersion;
    let version = r[VERSION];
    if (!version) {
      version = start();
      // A failed read is not kept: the next reader tries again (and reports the failure its own way).
      version.catch(() => {
        if (r[VERSION] === version) delete r[VERSION];
      });
      r[VERSION] = version;
    }
    return version;
  };
  const ofRequest = (req: IncomingMessage) => versionOf(req, sharedRead);
  ofRequest.startingNow = (req: IncomingMessage) =>
    versionOf(req, () => (planned === null && underWay === 0 ? read() : sharedRead()));
  return ofRequest;
}
