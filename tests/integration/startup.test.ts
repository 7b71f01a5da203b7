import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { rawRequest } from '../support/raw-http';

// The compiled server (npm test builds it first; or `npx tsc -p tsconfig.build.json`), started as `npm start`
// starts it. It says "ready" only when /readyz does, and a port or host it cannot listen on ends it with one
// line on stderr and exit code 78, as a configuration error does.

const MAIN = path.resolve(__dirname, '../../dist/src/server/main.js');
const KEYS_CLI = path.resolve(__dirname, '../../dist/scripts/keys.js');
/** EX_CONFIG from sysexits.h, the exit code of configuration errors. */
const EX_CONFIG = 78;

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startServer(env: Record<string, string>): Started {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-startup-'));
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', FACEGRAPH_DATA_DIR: path.join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function expectCleanConfigExit(started: Started, mentions: RegExp): Promise<void> {
  const code = await started.exited;
  const stderr = started.stderr();
  expect({ code, stderr }).toEqual({ code: EX_CONFIG, stderr: expect.stringMatching(mentions) });
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |node:|Error:|\.js:\d+/);
  expect(started.stdout()).not.toMatch(/facegraph ready/);
}

beforeAll(() => {
  expect(fs.existsSync(MAIN)).toBe(true);
});

test('a port already in use: one line on stderr, exit 78, no stack trace', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as net.AddressInfo;
  try {
    const started = startServer({ PORT: String(port) });
    await expectCleanConfigExit(started, new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`));
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('a host name that does not resolve: one line on stderr, exit 78, no stack trace', async () => {
  // auth.mode none: a non-loopback host without credentials is refused before any address is tried (below).
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-startup-config-')), 'config.yaml');
  fs.writeFileSync(config, 'auth: { mode: none }\n');
  const started = startServer({ HOST: 'no-such-host.invalid', FACEGRAPH_CONFIG: config });
  await expectCleanConfigExit(started, /no-such-host\.invalid.*does not resolve/);
});

test('a non-loopback host with no credential: refused before listening, saying how to add a key', async () => {
  const started = startServer({ HOST: '0.0.0.0' });
  await expectCleanConfigExit(started, /no credential is configured.*npm run keys -- create.*auth\.mode: none/);
});

test('the first admin key from the CLI: the server then asks every request for a key, and takes that one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-startup-keys-'));
  const data = path.join(dir, 'data');
  const cli = spawnSync(process.execPath, [KEYS_CLI, 'create', '--name', 'admin', '--scopes', 'admin'], {
    cwd: dir,
    env: { ...process.env, FACEGRAPH_DATA_DIR: data },
    encoding: 'utf8',
  });
  expect(cli.status).toBe(0);
  expect(cli.stdout).toMatch(/^fgk_[A-Za-z0-9_-]{43}\n$/);
  expect(cli.stderr).toMatch(/Created API key key-[0-9a-f]{12} \(admin; scopes admin\)/);
  const secret = cli.stdout.trim();

  const started = startServer({ FACEGRAPH_DATA_DIR: data });
  try {
    const origin = await readyOrigin(started);
    const query = JSON.stringify({ query: '{ viewer { actor scopes } }' });
    const anonymous = await rawRequest(origin, 'POST', '/graphql', { 'content-type': 'application/json' }, query);
    expect({ status: anonymous.status, code: anonymous.json?.errors?.[0]?.extensions?.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
    const admin = await rawRequest(origin, 'POST', '/graphql', headers, query);
    expect(admin.json).toEqual({ data: { viewer: { actor: expect.stringMatching(/^key-/), scopes: ['admin'] } } });
  } finally {
    started.child.kill('SIGTERM');
    await started.exited;
  }
}, 90_000);

/** Waits for the ready line and returns the server's origin. */
function readyOrigin(started: Started): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${started.stderr()}`)), 60_000);
    started.child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /facegraph ready: GraphiQL at http:\/\/localhost:(\d+)\/graphql/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      resolve(`http://127.0.0.1:${match[1]}`);
    });
  });
}

test('"facegraph ready" is printed only when /readyz says ready, and GET / points to /graphql', async () => {
  const started = startServer({});
  try {
    const readyzWhenPrinted = new Promise<{ status: number; body: unknown; origin: string }>((resolve, reject) => {
      let seen = '';
      const output = () => `stdout:\n${seen}\nstderr:\n${started.stderr()}`;
      const timer = setTimeout(() => reject(new Error(`no ready line; ${output()}`)), 60_000);
      started.child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /facegraph ready: GraphiQL at http:\/\/localhost:(\d+)\/graphql/.exec(seen);
        if (!match) return;
        clearTimeout(timer);
        // At the very moment the line appears.
        const origin = `http://127.0.0.1:${match[1]}`;
        const readyz = rawRequest(origin, 'GET', '/readyz', {});
        readyz.then((r) => resolve({ status: r.status, body: r.json, origin }), reject);
      });
    });
    const { status, body, origin } = await readyzWhenPrinted;
    expect({ status, body }).toEqual({ status: 200, body: { status: 'ready', ledger: 'ok', providers: 'ok' } });

    const browser = await rawRequest(origin, 'GET', '/', { accept: 'text/html' });
    const redirect = { status: browser.status, location: browser.headers.location };
    expect(redirect).toEqual({ status: 302, location: '/graphql' });
    const client = await rawRequest(origin, 'GET', '/', { accept: 'application/json' });
    expect(client.json).toMatchObject({ graphql: '/graphql' });
  } finally {
    started.child.kill('SIGTERM');
    await started.exited;
  }
}, 90_000);
