// The cost of a response cache hit: the read case's query (bench/cases/read.mjs, 2,000 LOCAL faces) answered from
// the cache by facegraph, against bare Apollo (baseline-child.mjs) and plain node:http sending the same bytes
// (plain-child.mjs), in interleaved slices; optionally also another build of facegraph (HIT_BEFORE_ROOT: a checkout
// with its own dist/ and bench/, e.g. `git archive main | tar -x -C /tmp/before`, node_modules linked, `npx tsc -b`).
// Per side: requests/s (autocannon, 50 connections) and the server process's CPU per request from /proc/<pid>/stat,
// the steadier figure on a shared machine.  node bench/hit-cost.mjs   (SLICES=4 SECONDS=4 by default)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const AFTER = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BEFORE = process.env.HIT_BEFORE_ROOT;
const util = await import('./lib/util.mjs');
const seed = await import('./lib/seed.mjs');
const { READ_QUERY, cannon } = await import('./cases/read.mjs');
const { libraryId: gid } = util.dist('src/domain/global-id.js');

const TICK = 100; // USER_HZ
const cpuMs = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
};
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hitbench-'));
const file = await seed.createLedgerFile(dataDir);
const s = seed.openForSeeding(file);
seed.seedLibrary(s.db, {
  name: 'read',
  fieldSchema: [{ name: 'dept', type: 'STRING' }],
  faces: 2000,
  persons: 100,
  fieldsOf: (i) => ({ dept: seed.DEPARTMENTS[i % 20] }),
});
s.done();
const libraryId = gid('local', 'read');
const serverSpec = { BENCH_SERVER: JSON.stringify({ dataDir, providers: [{ id: 'local', kind: 'LOCAL' }] }) };
const after = await util.startChild('server-child.mjs', serverSpec, { root: AFTER, label: 'after' });
const before = BEFORE
  ? await (
      await import(path.join(BEFORE, 'bench/lib/util.mjs'))
    ).startChild('server-child.mjs', serverSpec, {
      root: BEFORE,
      label: 'before',
    })
  : null;
const body = JSON.stringify({ query: READ_QUERY, variables: { id: libraryId }, operationName: 'Read' });
const client = util.httpClient();
const ref = await client.post(after.info.url, body);
const parsed = JSON.parse(ref.body);
if (parsed.errors) throw new Error(ref.body);
const baselineSpec = { BENCH_BASELINE: JSON.stringify({ libraryId, library: parsed.data.library }) };
const baseline = await util.startChild('baseline-child.mjs', baselineSpec, { label: 'baseline' });
const plain = await util.startChild('plain-child.mjs', { PLAIN_BODY: ref.body }, { label: 'plain' });
const sides = { ...(before ? { before: { c: before } } : {}), after: { c: after }, baseline: { c: baseline } };
sides.plain = { c: plain };
for (const side of Object.values(sides)) {
  side.runs = [];
  const r = await client.post(side.c.info.url, body);
  if (r.body !== ref.body) throw new Error('bodies differ');
  await cannon({ url: side.c.info.url, body, connections: 50, duration: 2 });
}
const slices = Number(process.env.SLICES ?? 4);
const names = Object.keys(sides);
for (let i = 0; i < slices; i++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length];
    const side = sides[name];
    const c0 = cpuMs(side.c.pid);
    const r = await cannon({ url: side.c.info.url, body, connections: 50, duration: Number(process.env.SECONDS ?? 4) });
    const c1 = cpuMs(side.c.pid);
    const ok = r['2xx'];
    side.runs.push({ ok, bad: r.non2xx + r.errors, rps: ok / r.duration, cpuPerReq: (c1 - c0) / ok });
    await util.sleep(300);
  }
}
const out = {};
for (const [name, side] of Object.entries(sides)) {
  out[name] = {
    rps: side.runs.map((r) => Math.round(r.rps)),
    cpuMsPerReq: side.runs.map((r) => util.round(r.cpuPerReq, 4)),
    bad: side.runs.reduce((a, r) => a + r.bad, 0),
  };
}
for (const name of ['before', 'after', 'plain'].filter((n) => sides[n])) {
  out[name].ratioRps = sides[name].runs.map((r, i) => util.round(r.rps / sides.baseline.runs[i].rps, 2));
  out[name].ratioCpu = sides[name].runs.map((r, i) => util.round(sides.baseline.runs[i].cpuPerReq / r.cpuPerReq, 2));
}
console.log(JSON.stringify({ responseBytes: ref.body.length, ...out }, null, 1));
for (const side of Object.values(sides)) await side.c.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
