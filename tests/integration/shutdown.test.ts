import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { facePhoto } from '../support/images';
import { subscribe } from '../support/subscriptions';

// The compiled server (npm test builds it first), started as `npm start` would, then stopped with SIGTERM
// while a request is in flight: the request must still complete, the process exit 0, and the ledger close.

const MAIN = path.resolve(__dirname, '../../dist/src/server/main.js');

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${seen}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

test('SIGTERM lets an in-flight registerFace finish, then closes the ledger and exits 0', async () => {
  expect(fs.existsSync(MAIN)).toBe(true);
  const png = await facePhoto('B', 'png');
  let releaseImage!: () => void;
  const imageRequested = new Promise<void>((resolve) => {
    releaseImage = resolve;
  });
  let respond!: () => void;
  const slowImageHost = http.createServer((_req, res) => {
    releaseImage();
    respond = () => res.end(png);
  });
  await new Promise<void>((resolve) => slowImageHost.listen(0, '127.0.0.1', resolve));
  const imagePort = (slowImageHost.address() as AddressInfo).port;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-shutdown-'));
  const configFile = path.join(dir, 'facegraph.yaml');
  fs.writeFileSync(configFile, `images:\n  urlFetch:\n    allowList: ["127.0.0.1"]\n`);
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: {
      ...process.env,
      FACEGRAPH_CONFIG: configFile,
      PORT: '0',
      HOST: '127.0.0.1',
      FACEGRAPH_DATA_DIR: path.join(dir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const [, url] = await waitForOutput(child, /GraphiQL at (http:\/\/\S+)/);
    const endpoint = url.replace('localhost', '127.0.0.1');
    const post = (query: string, variables?: object) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }).then((r) => r.json());

    const created = await post(
      `mutation { createLibrary(input: {providerId: "local", ` +
        `name: "late"}) { ... on CreateLibrarySuccess { library { id } } } }`,
    );
    const libraryId = created.data.createLibrary.library.id;
    const stopped = waitForOutput(child, /facegraph stopped/);
    const inFlight = post(
      `mutation($input: RegisterFaceInput!) { registerFace(input: $input) { __typename ` +
        `... on RegisterFaceSuccess { face { id } } } }`,
      { input: { libraryId, image: { url: `http://127.0.0.1:${imagePort}/face.png` } } },
    );
    await imageRequested;
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    respond();

    expect((await inFlight).data.registerFace.__typename).toBe('RegisterFaceSuccess');
    await stopped;
    expect(await exited).toBe(0);
    // Closing the ledger checkpoints the WAL into the database file.
    const wal = path.join(dir, 'data', 'facegraph.db-wal');
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => slowImageHost.close(() => resolve()));
  }
});

test(
  'SIGTERM closes open WebSockets (1001 Going away) with the HTTP server, ' + 'and the process exits 0 at once',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-shutdown-ws-'));
    const child = spawn(process.execPath, [MAIN], {
      cwd: dir,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACEGRAPH_DATA_DIR: path.join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const [, url] = await waitForOutput(child, /GraphiQL at (http:\/\/\S+)/);
      const wsUrl = url.replace('localhost', '127.0.0.1').replace(/^http/, 'ws');
      const subscriber = subscribe({ wsUrl });
      // Connected and subscribed: the server acknowledges connection_init before it takes a subscribe.
      await new Promise<void>((resolve) => subscriber.client.on('connected', () => resolve()));
      const started = Date.now();
      child.kill('SIGTERM');
      expect((await subscriber.closed).code).toBe(1001);
      expect(await exited).toBe(0);
      // Well before main.ts's 10 s limit on waiting for connections: the WebSocket did not hold the server open.
      expect(Date.now() - started).toBeLessThan(8_000);
      await subscriber.dispose();
    } finally {
      child.kill('SIGKILL');
    }
  },
);
