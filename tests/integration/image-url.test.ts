import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import { FaceGraphError } from '../../src/domain/errors';
import { fetchImageUrl } from '../../src/datasources/images/fetch-url';
import type { ImageLimits, UrlFetchPolicy } from '../../src/datasources/images/image';
import { loadImageInput } from '../../src/datasources/images';

const limits: ImageLimits = { maxBytes: 256 * 1024, minSide: 16, maxSide: 2048 };
const allowLocal: UrlFetchPolicy = { allowList: ['127.0.0.1'], timeoutMs: 2000, maxRedirects: 3 };
const defaultPolicy: UrlFetchPolicy = { allowList: [], timeoutMs: 2000, maxRedirects: 3 };

let jpeg: Buffer;
let server: http.Server;
let port: number;
let base: string;
const sockets = new Set<Socket>();
const hostHeaders: string[] = [];

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  hostHeaders.push(req.headers.host ?? '');
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  switch (path) {
    case '/face.jpg':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      return void res.end(jpeg);
    case '/chunked-face.jpg':
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(jpeg.subarray(0, 100));
      return void setTimeout(() => res.end(jpeg.subarray(100)), 20);
    case '/hop':
      res.writeHead(301, { location: '/face.jpg?from=hop' });
      return void res.end();
    case '/to-blocked':
      res.writeHead(302, { location: `http://127.0.0.2:${port}/face.jpg` });
      return void res.end();
    case '/to-metadata':
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
      return void res.end();
    case '/to-file':
      res.writeHead(302, { location: 'file:///etc/passwd' });
      return void res.end();
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      return void res.end();
    case '/declared-huge':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(limits.maxBytes * 10) });
      return void res.write(jpeg.subarray(0, 10));
    case '/endless': {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(16 * 1024, 0xff);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    case '/cut-short':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      res.write(jpeg.subarray(0, 200));
      return void setTimeout(() => res.socket?.destroy(), 20);
    case '/slow':
      return; // never answers
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      return void res.write(jpeg.subarray(0, 10));
    case '/page.html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<!doctype html><html><body>Not an image</body></html>');
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('secret body text');
  }
}

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .toBuffer();
  server = http.createServer(route);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function rejection(p: Promise<unknown>): Promise<FaceGraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FaceGraphError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('fetchImageUrl', () => {
  it('refuses 127.0.0.1 under the default policy', async () => {
    const e = await rejection(fetchImageUrl(`${base}/face.jpg?token=secret`, defaultPolicy, limits));
    expect(e.detail).toMatchObject({ type: 'ImageRejectedError', reason: 'BLOCKED_ADDRESS' });
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).not.toContain('secret');
  });

  it('refuses localhost, which resolves to loopback', async () => {
    const e = await rejection(fetchImageUrl(`http://localhost:${port}/face.jpg`, defaultPolicy, limits));
    expect(e.detail).toMatchObject({ reason: 'BLOCKED_ADDRESS' });
    expect(e.message).toContain('localhost');
  });

  it('fetches from an allow-listed address', async () => {
    const image = await fetchImageUrl(`${base}/face.jpg`, allowLocal, limits);
    expect(image).toMatchObject({ format: 'jpeg', mimeType: 'image/jpeg', width: 120, height: 90 });
    expect(image.bytes.equals(jpeg)).toBe(true);
  });

  it('fetches from a host allow-listed by name, sending its Host header', async () => {
    hostHeaders.length = 0;
    const image = await fetchImageUrl(
      `http://LocalHost:${port}/chunked-face.jpg`,
      { ...defaultPolicy, allowList: ['localhost'] },
      limits,
    );
    expect(image.bytes.equals(jpeg)).toBe(true);
    expect(hostHeaders).toEqual([`localhost:${port}`]);
  });

  it('follows a redirect to an allowed address', async () => {
    const image = await fetchImageUrl(`${base}/hop`, allowLocal, limits);
    expect(image.width).toBe(120);
  });

  it('re-checks the address after a redirect', async () => {
    const e = await rejection(fetchImageUrl(`${base}/to-blocked`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'BLOCKED_ADDRESS' });
    expect(e.message).toContain('127.0.0.2');
    const e2 = await rejection(fetchImageUrl(`${base}/to-metadata`, allowLocal, limits));
    expect(e2.detail).toMatchObject({ reason: 'BLOCKED_ADDRESS' });
  });

  it('refuses a redirect to another scheme', async () => {
    const e = await rejection(fetchImageUrl(`${base}/to-file`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
  });

  it('gives up on a redirect loop', async () => {
    const e = await rejection(fetchImageUrl(`${base}/loop`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
    expect(e.message).toContain('more than 3');
  });

  it('refuses a declared Content-Length above maxBytes', async () => {
    const e = await rejection(fetchImageUrl(`${base}/declared-huge`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toContain('256 KB');
  });

  it('aborts a chunked body once it passes maxBytes', async () => {
    const e = await rejection(fetchImageUrl(`${base}/endless`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'TOO_LARGE' });
    expect(e.message).toContain('256 KB');
  });

  it('reports a connection closed mid-body as UNREACHABLE', async () => {
    const e = await rejection(fetchImageUrl(`${base}/cut-short`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
  });

  it.each(['/slow', '/slow-body'])('times out on %s', async (path) => {
    const started = Date.now();
    const e = await rejection(fetchImageUrl(`${base}${path}`, { ...allowLocal, timeoutMs: 300 }, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
    expect(e.message).toContain('timed out after 0.3 s');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a 404 with its status and without the body or query', async () => {
    const e = await rejection(fetchImageUrl(`${base}/missing.jpg?token=secret`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
    expect(e.message).toContain('404');
    expect(e.message).not.toContain('secret');
  });

  it('reports a refused connection as UNREACHABLE', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await rejection(fetchImageUrl(`http://127.0.0.1:${freePort}/a.jpg`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNREACHABLE' });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('refuses an HTML page as UNSUPPORTED_FORMAT', async () => {
    const e = await rejection(fetchImageUrl(`${base}/page.html`, allowLocal, limits));
    expect(e.detail).toMatchObject({ reason: 'UNSUPPORTED_FORMAT' });
    expect(e.message).not.toContain('Not an image');
  });

  it.each([
    ['ftp://127.0.0.1/a.jpg', 'URL_SCHEME'],
    ['not a url', 'URL'],
    [`http://user:pw@127.0.0.1:1/a.jpg`, 'URL_CREDENTIALS'],
  ])('refuses %s as InvalidInputError', async (url, constraint) => {
    const e = await rejection(fetchImageUrl(url, allowLocal, limits));
    expect(e.detail).toMatchObject({ type: 'InvalidInputError', field: 'image.url', constraint });
  });

  it('refuses the metadata address before opening any connection', async () => {
    const opened: unknown[] = [];
    const onSocket = (message: unknown) => opened.push(message);
    diagnostics.subscribe('net.client.socket', onSocket);
    try {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/',
        'http://[::ffff:a9fe:a9fe]/',
      ]) {
        const e = await rejection(fetchImageUrl(url, defaultPolicy, limits));
        expect(e.detail).toMatchObject({ reason: 'BLOCKED_ADDRESS' });
      }
      expect(opened).toHaveLength(0);
      await fetchImageUrl(`${base}/face.jpg`, allowLocal, limits);
      expect(opened).toHaveLength(1); // the probe does see connections
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
  });
});

describe('loadImageInput', () => {
  it('loads base64 or a URL', async () => {
    expect((await loadImageInput({ base64: jpeg.toString('base64') }, limits, allowLocal)).width).toBe(120);
    expect((await loadImageInput({ base64: null, url: `${base}/face.jpg` }, limits, allowLocal)).width).toBe(120);
  });

  it.each([{}, { base64: null, url: null }, { base64: 'AAAA', url: 'http://example.com/a.jpg' }])(
    'requires exactly one of base64 and url (%p)',
    async (input) => {
      const e = await rejection(loadImageInput(input, limits, allowLocal));
      expect(e.detail).toMatchObject({ type: 'InvalidInputError', field: 'image', constraint: 'EXACTLY_ONE' });
    },
  );
});
