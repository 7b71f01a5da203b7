// Shared helpers for the benchmarks: paths into the built server (dist/), timing, percentiles, a small
// keep-alive HTTP client for sequential latency measurements, child processes and their memory.

import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: npm runs scripts from it; bench/ may be a symlink, so not derived from this file. */
export const ROOT = process.env.BENCH_ROOT ?? process.cwd();
export const BENCH_DIR = path.join(ROOT, 'bench');
export const LIB_DIR = path.dirname(fileURLToPath(import.meta.url));

/** require() as code at the repository root would (the project's node_modules). */
export const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

/** require() a compiled module of the server, e.g. dist('src/server/app.js'). */
export function dist(relative) {
  const file = path.join(ROOT, 'dist', relative);
  if (!fs.existsSync(file))
    throw new Error(
      `${file} is missing: run \`npm run build\` (and \`tsc -p tsconfig.emulators.json\` for the emulator) first.`,
    );
  return requireFromRoot(file);
}

export const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
/** full value, or the quick one with BENCH_QUICK=1 */
export const size = (full, quick) => (QUICK ? quick : full);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `facegraph-bench-${prefix}-`));
}

/** p50/p90/p99/max/mean of latencies in ms (nearest-rank percentiles). */
export function summarize(values) {
  if (values.length === 0) return { n: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  const v = Float64Array.from(values).sort();
  const at = (q) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return {
    n: v.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(v[v.length - 1]),
    mean: round(mean),
  };
}

export function median(values) {
  return summarize(values).p50;
}

export const round = (x, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? x : Math.round(x * 10 ** digits) / 10 ** digits;
export const mb = (bytes) => Math.round(bytes / 1e5) / 10;

/**
 * A client on one keep-alive connection per concurrent caller, for latency measurements (autocannon is
 * for throughput). post() resolves with { status, body, ms }; ms is from the request start to the last byte.
 */
export function httpClient(maxSockets = 1) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  function request(url, { method = 'POST', headers = {}, body } = {}, retried = false) {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    return new Promise((resolve, reject) => {
      const started = now();
      const req = http.request(url, {
        method,
        agent,
        headers: { ...(payload ? { 'content-length': String(payload.length) } : {}), ...headers },
      });
      req.on('error', (e) => {
        // A kept-alive socket the server closed while it sat idle: send once more on a new one.
        if (!retried && req.reusedSocket && e.code === 'ECONNRESET')
          resolve(request(url, { method, headers, body }, true));
        else reject(e);
      });
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: now() - started,
          }),
        );
      });
      req.end(payload);
    });
  }
  return {
    request,
    /**
     * A GraphQL POST; `text` is the exact request body to send. It asks for a fresh answer
     * (`cache-control: no-cache`): the cases that use this client measure the gateway's work, not its response
     * cache (only the read case measures the cache, with autocannon).
     */
    post(url, text) {
      return request(url, {
        headers: { 'content-type': 'application/json', accept: 'application/json', 'cache-control': 'no-cache' },
        body: text,
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** One GraphQL operation; throws on transport or GraphQL errors, returns data. */
export async function gql(client, url, query, variables = {}) {
  const res = await client.post(url, JSON.stringify({ query, variables }));
  let json;
  try {
    json = JSON.parse(res.body);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${res.body.slice(0, 300)}`);
  }
  if (json.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors).slice(0, 500)}`);
  return json.data;
}

/** Throws unless a union result is the expected success member. */
export function expectMember(result, typename) {
  if (result?.__typename !== typename)
    throw new Error(`expected ${typename}, got ${JSON.stringify(result).slice(0, 400)}`);
  return result;
}

/** Resident set size of a process, from /proc (Linux), in bytes. */
export function rssOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Forks one of bench/lib's child scripts with an IPC channel. The child sends { type: 'ready', ... } once it
 * listens; call(type, payload) sends a message and waits for the answer with the same id.
 */
export async function startChild(
  script,
  env = {},
  { execArgv = [], readyTimeoutMs = 180_000, label = script, root = ROOT } = {},
) {
  const child = fork(path.join(LIB_DIR, script), [], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_ROOT: root },
    execArgv: ['--expose-gc', ...execArgv],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const pending = new Map();
  let nextId = 1;
  let readyInfo;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} was not ready within ${readyTimeoutMs} ms: ${stderr}`)),
      readyTimeoutMs,
    );
    child.on('message', (m) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        readyInfo = m;
        resolve(m);
      } else if (m?.type === 'reply' && pending.has(m.id)) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.value);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new Error(`${label} exited (code ${code}, signal ${signal}): ${stderr.slice(-3000)}`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  });
  await ready;
  return {
    pid: child.pid,
    info: readyInfo,
    call(type, payload = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type, id, ...payload });
      });
    },
    rss: () => rssOf(child.pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close', id: 0 });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Serves a child script's IPC requests: handlers[type](message) -> value. */
export function serveIpc(handlers, onClose) {
  process.on('message', async (m) => {
    if (m?.type === 'close') {
      try {
        await onClose?.();
      } finally {
        process.exit(0);
      }
      return;
    }
    const handler = handlers[m?.type];
    try {
      if (!handler) throw new Error(`unknown message ${m?.type}`);
      const value = await handler(m);
      process.send({ type: 'reply', id: m.id, value });
    } catch (e) {
      process.send({ type: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Polls /readyz (the LOCAL face engine warms up in its workers after the start). */
export async function waitUntilReady(origin, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${origin}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${origin} was not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function machineFacts() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGB: Math.round(os.totalmem() / 1e8) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

/** The commit the bench ran against, and whether the working tree had changes (provenance for results.json). */
export function sourceFacts() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--', 'src', 'tests/emulators');
  // No checkout path: results.json is committed, and a machine path means nothing on another machine.
  return { commit: git('rev-parse', 'HEAD'), srcChanged: status === null ? null : status.length > 0 };
}
