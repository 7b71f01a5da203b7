// read throughput on a PostgreSQL ledger with one and with two replicas: the read case's query
// (`library(id) { faces(first: 50) { ... person { name } } }`) with `cache-control: no-cache` (every answer
// computed), under autocannon at 50 connections in all: against one gateway, then 25 + 25 against two gateways
// on the same schema at once, in interleaved slices. CPU during each slice, from /proc: the gateways, every
// `postgres` process (the server and its backends), the bench process (autocannon), and the whole machine;
// one `top -b -n1` is taken in the middle of the last two-replica slice.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { READ_QUERY, cannon } from './read.mjs';
import { round, size, sleep } from '../lib/util.mjs';

const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux

function ticksOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}

function postgresPids() {
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

function machineTicks() {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { total, idle: v[3] + (v[4] ?? 0) };
}

/** CPU snapshot: ticks of the gateways, of the postgres processes, of this process, and the machine's. */
function cpuSnapshot(gateways) {
  const pg = new Map(postgresPids().map((pid) => [pid, ticksOf(pid)]));
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    gateways: gateways.map((g) => ticksOf(g.pid)),
    pg,
    self: (self.user + self.system) / 1e4,
    machine: machineTicks(),
  };
}

/** Cores used between two snapshots (1.0 = one core busy all along). */
function cpuBetween(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks) => round(ticks / TICK / seconds, 2);
  let pgTicks = 0;
  // a new backend: counted from its first reading
  for (const [pid, t] of b.pg) if (t !== null) pgTicks += t - (a.pg.get(pid) ?? t);
  const machine = b.machine.total - a.machine.total;
  return {
    gateways: b.gateways.map((t, i) => cores(t - a.gateways[i])),
    postgres: cores(pgTicks),
    benchProcess: cores(b.self - a.self),
    machineBusy: round(((machine - (b.machine.idle - a.machine.idle)) / machine) * os.cpus().length, 2),
  };
}

function topSnapshot() {
  return new Promise((resolve) => {
    execFile('top', ['-b', '-n1', '-w', '160'], { timeout: 5_000 }, (err, stdout) => {
      if (err) return resolve(null);
      const lines = stdout.split('\n');
      const header = lines.findIndex((l) => /^\s*PID\s/.test(l));
      resolve([...lines.slice(0, 3), ...lines.slice(header, header + 9)].map((l) => l.trimEnd()));
    });
  });
}

export async function replicasCase({ gateways, client, libraryId }) {
  const [a, b] = gateways;
  const connections = 50;
  const slices = size(3, 1);
  const sliceSeconds = size(8, 3);
  const body = JSON.stringify({ query: READ_QUERY, variables: { id: libraryId }, operationName: 'Read' });
  const headers = { 'cache-control': 'no-cache' };
  for (const g of gateways) {
    const res = await client.post(g.info.url, body);
    const parsed = JSON.parse(res.body);
    if (
      parsed.errors ||
      parsed.data.library.faces.edges.length !== 50 ||
      !parsed.data.library.faces.edges[0].node.person?.name
    ) {
      throw new Error(`read query failed: ${res.body.slice(0, 300)}`);
    }
  }
  const run = (url, conns, duration) => cannon({ url, headers, body, connections: conns, duration });
  // Warm-up (JIT, connection pools on both replicas), not counted.
  await Promise.all([run(a.info.url, 25, size(3, 1)), run(b.info.url, 25, size(3, 1))]);

  const sides = {
    one: { runs: [], cpu: [] },
    two: { runs: [], cpu: [] },
  };
  let top = null;
  for (let i = 0; i < slices; i++) {
    for (const name of i % 2 === 0 ? ['one', 'two'] : ['two', 'one']) {
      const before = cpuSnapshot(gateways);
      let results;
      if (name === 'one') {
        results = [await run(a.info.url, connections, sliceSeconds)];
      } else {
        const both = Promise.all([
          run(a.info.url, connections / 2, sliceSeconds),
          run(b.info.url, connections / 2, sliceSeconds),
        ]);
        if (i === slices - 1) {
          await sleep((sliceSeconds * 1000) / 2);
          top = await topSnapshot();
        }
        results = await both;
      }
      const after = cpuSnapshot(gateways);
      const ok = results.reduce((s, r) => s + r['2xx'], 0);
      const seconds = Math.max(...results.map((r) => r.duration));
      sides[name].runs.push({
        seconds,
        ok,
        failed: results.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
        rps: round(ok / seconds, 1),
        perGatewayRps: results.map((r) => round(r['2xx'] / r.duration, 1)),
        latencyP50: Math.max(...results.map((r) => r.latency.p50)),
        latencyP99: Math.max(...results.map((r) => r.latency.p99)),
      });
      sides[name].cpu.push(cpuBetween(before, after));
      await sleep(300);
    }
  }
  const total = ({ runs, cpu }) => {
    const ok = runs.reduce((s, r) => s + r.ok, 0);
    const seconds = runs.reduce((s, r) => s + r.seconds, 0);
    const mean = (f) => round(cpu.reduce((s, c) => s + f(c), 0) / cpu.length, 2);
    return {
      requests: ok,
      seconds: round(seconds, 2),
      rps: round(ok / seconds, 1),
      failed: runs.reduce((s, r) => s + r.failed, 0),
      perSliceRps: runs.map((r) => r.rps),
      latencyP99: Math.max(...runs.map((r) => r.latencyP99)),
      cpuCores: {
        gateways: cpu[0].gateways.map((_, i) => mean((c) => c.gateways[i])),
        postgres: mean((c) => c.postgres),
        benchProcess: mean((c) => c.benchProcess),
        machineBusy: mean((c) => c.machineBusy),
      },
      runs,
    };
  };
  const one = total(sides.one);
  const two = total(sides.two);
  return {
    query: READ_QUERY,
    headers,
    connections,
    slices,
    sliceSeconds,
    cores: os.cpus().length,
    one: { ...one, cpuCores: { ...one.cpuCores, gateways: one.cpuCores.gateways.slice(0, 1) } },
    two,
    scaling: round(two.rps / one.rps, 3),
    top,
  };
}
