import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveUiDist, uiCsp } from '../../src/server/ui';
import { rawRequest } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// GET /ui over HTTP: the page and its assets with their security headers, only where server.ui is on, and behind
// the same Host check as the API.

const SCRIPT = path.resolve(__dirname, '../../scripts/build-ui.mjs');

let server: TestServer;
beforeAll(async () => {
  execFileSync(process.execPath, [SCRIPT], { encoding: 'utf8' }); // does nothing when the bundle is up to date
  server = await startTestServer();
}, 120_000);
afterAll(async () => server?.close());

test('GET /ui answers the page with its CSP, and names only its own assets', async () => {
  const res = await fetch(`${server.origin}/ui`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(uiCsp());
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  const html = await res.text();
  const referenced = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  expect(referenced).toHaveLength(3); // favicon, stylesheet, script
  for (const url of referenced) expect(url).toMatch(/^\/ui\/assets\/[\w-]+\.(js|css|svg)$/);
});

test('the assets are cached for a year, sent gzipped when accepted, and an unknown one is a plain 404', async () => {
  const html = await (await fetch(`${server.origin}/ui`)).text();
  const script = /src="(\/ui\/assets\/main-[\w-]+\.js)"/.exec(html)![1];
  const gz = await rawRequest(server.origin, 'GET', script, { 'accept-encoding': 'gzip' });
  expect(gz.status).toBe(200);
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(gz.headers['content-security-policy']).toBe(uiCsp());
  const plain = fs.readFileSync(path.join(resolveUiDist(), script.replace('/ui/', '')));
  const body = await fetch(`${server.origin}${script}`, { headers: { 'accept-encoding': 'identity' } });
  expect(Buffer.from(await body.arrayBuffer()).equals(plain)).toBe(true);
  expect(Number(gz.headers['content-length'])).toBeLessThan(plain.length / 2);

  const missing = await fetch(`${server.origin}/ui/assets/main-NOSUCHHASH.js`);
  expect(missing.status).toBe(404);
  expect(await missing.text()).toBe('Not found\n');
});

test('a Host the server does not answer to is refused before the page', async () => {
  const res = await rawRequest(server.origin, 'GET', '/ui', { host: 'attacker.example' });
  expect(res.status).toBe(403);
  expect(res.json.errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
});

test('with server.ui off there is no page, and GraphiQL is unaffected', async () => {
  const off = await startTestServer({ configure: (config) => (config.server.ui = false) });
  try {
    const page = await fetch(`${off.origin}/ui`);
    expect(page.status).toBe(404);
    expect((await page.json()).errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await fetch(`${off.origin}/ui/assets/anything.js`)).status).toBe(404);
    const graphiql = await fetch(off.url, { headers: { accept: 'text/html' } });
    expect(graphiql.headers.get('content-type')).toMatch(/^text\/html/);
  } finally {
    await off.close();
  }
});

test('behind a router (server.publicUrl), the CSP allows images from the public origin', async () => {
  const routed = await startTestServer({
    configure: (config) => (config.server.publicUrl = 'https://faces.example.com/api'),
  });
  try {
    const csp = (await fetch(`${routed.origin}/ui`)).headers.get('content-security-policy');
    expect(csp).toBe(uiCsp('https://faces.example.com'));
    expect(csp).toContain("img-src 'self' blob: data: https://faces.example.com;");
  } finally {
    await routed.close();
  }
});
