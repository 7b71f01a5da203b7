// The real facegraph server (dist/, createFacegraphApp, the same HTTP wiring as src/server/main.ts) in a
// child process on 127.0.0.1 and a free port, so its CPU and memory are its own. Configured by
// BENCH_SERVER (JSON): { dataDir, providers, faceEngine?, logLevel?, countVendorCalls?, sqlitePragmas?, ledgerUrl?,
// requestsPerMinute? }
// (sqlitePragmas: e.g. ["cache_size = -2000"], applied to the ledger's connection; for diagnosis only;
// ledgerUrl: e.g. a postgres:// URL instead of the SQLite file in dataDir; requestsPerMinute: the per-caller limit,
// limits.requestsPerMinute, 1,000,000 here unless given; the server's default, 600, would only be measured as
// refusals).
// IPC: stats -> { rss, heapUsed, queryCount, vendorCalls }, gc, close.

import http from 'node:http';
import { dist, requireFromRoot, serveIpc, waitUntilReady } from './util.mjs';

requireFromRoot('reflect-metadata');
const { createFacegraphApp } = dist('src/server/app.js');
const { loadConfig } = dist('src/server/config/index.js');
const { createLogger } = dist('src/server/logger.js');

const spec = JSON.parse(process.env.BENCH_SERVER ?? '{}');
const config = loadConfig(
  { FACEGRAPH_DATA_DIR: spec.dataDir, LOG_LEVEL: spec.logLevel ?? 'info', HOST: '127.0.0.1', PORT: '0' },
  spec.dataDir,
);
if (spec.providers) config.providers = spec.providers;
if (spec.faceEngine) config.faceEngine = spec.faceEngine;
if (spec.ledgerUrl) config.ledger = { ...config.ledger, url: spec.ledgerUrl };
// Every request of the bench comes from 127.0.0.1: at the default 600 a minute the throughput cases would measure
// refusals.
config.limits = { ...config.limits, requestsPerMinute: spec.requestsPerMinute ?? 1_000_000 };
config.server.graphiql = false;

// Log lines go to stdout, which the parent sends to /dev/null: the per-operation log line is paid for, not kept.
const facegraph = await createFacegraphApp(config, createLogger(config.log.level));

for (const pragma of spec.sqlitePragmas ?? []) facegraph.ledger.pragma(pragma);

// Vendor calls, counted by wrapping the adapters' methods (only for the fan-out case).
const vendorCalls = {};
if (spec.countVendorCalls) {
  const notCalls = new Set(['constructor', 'normalizeLibraryName', 'isReady', 'canDeleteNatively', 'close']);
  for (const vendor of facegraph.services.providers.all()) {
    for (
      let proto = Object.getPrototypeOf(vendor);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (notCalls.has(name) || typeof vendor[name] !== 'function' || Object.hasOwn(vendor, name)) continue;
        const original = vendor[name];
        const key = `${vendor.providerId}.${name}`;
        vendor[name] = function counted(...args) {
          vendorCalls[key] = (vendorCalls[key] ?? 0) + 1;
          return original.apply(this, args);
        };
      }
    }
  }
}

const server = http.createServer(facegraph.handler);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
await waitUntilReady(origin);

serveIpc(
  {
    stats: () => {
      const m = process.memoryUsage();
      return {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        queryCount: facegraph.ledger.queryCount(),
        vendorCalls: { ...vendorCalls },
      };
    },
    gc: () => {
      globalThis.gc?.();
      globalThis.gc?.();
      return process.memoryUsage().rss;
    },
  },
  async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
    await facegraph.close();
  },
);
process.send({ type: 'ready', origin, url: `${origin}/graphql` });
