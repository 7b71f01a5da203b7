// The Huawei FRS emulator (tests/emulators/huawei-frs, compiled by tsconfig.emulators.json) in its own
// process on 127.0.0.1. BENCH_FRS (JSON): { projectId, accessKeyId, secretAccessKey }.
// IPC: stats -> { requests, byOperation }, gc, close.

import { dist, serveIpc } from './util.mjs';

const { startFrsEmulator } = dist('emulators/tests/emulators/huawei-frs/index.js');
const spec = JSON.parse(process.env.BENCH_FRS);

const emulator = await startFrsEmulator({
  projectId: spec.projectId,
  credentials: [{ accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey }],
  akLockout: false,
  host: '127.0.0.1',
  port: 0,
});

// The emulator logs every request; keep counts and let the log go, so a long run does not grow it.
let total = 0;
const byOperation = {};
const drain = () => {
  for (const r of emulator.requests.splice(0)) {
    total++;
    byOperation[r.operation ?? 'unrouted'] = (byOperation[r.operation ?? 'unrouted'] ?? 0) + 1;
  }
};
setInterval(drain, 1000).unref();

serveIpc(
  {
    stats: () => {
      drain();
      return { requests: total, byOperation: { ...byOperation }, rss: process.memoryUsage().rss };
    },
    gc: () => {
      globalThis.gc?.();
      return process.memoryUsage().rss;
    },
  },
  () => emulator.close(),
);
process.send({ type: 'ready', endpoint: emulator.endpoint, iamEndpoint: emulator.iamEndpoint });
