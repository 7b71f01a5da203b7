import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import {
  HttpTransport,
  parseRetryAfter,
  TransportError,
  type HttpRequest,
  type TransportOptions,
} from '../../src/datasources/http';
import { createLogger } from '../../src/server/logger';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

interface TestServer {
  origin: string;
  seen: Seen[];
}

const servers: http.Server[] = [];
const transports: HttpTransport[] = [];
const silent = pino({ level: 'silent' });

/** A real server on 127.0.0.1 that records each request (after reading its body) and lets `handler` answer it. */
async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      });
      handler(req, res, seen.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Answers the n-th request with the n-th reply (the last one repeats). */
function replies(...list: Array<{ status: number; headers?: Record<string, string>; body?: string }>): Handler {
  return (_req, res, index) => {
    const reply = list[Math.min(index, list.length - 1)];
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body ?? '{}');
  };
}

async function closedPortOrigin(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

type Overrides = Partial<Omit<TransportOptions, 'retry'>> & { retry?: Partial<TransportOptions['retry']> };

function transport(options: Overrides = {}, logger: Logger = silent): HttpTransport {
  const t = new HttpTransport(
    {
      providerId: 'test-provider',
      timeoutMs: 2_000,
      ratePerSecond: null,
      ...options,
      retry: { maxAttempts: 3, maxTotalMs: 5_000, baseBackoffMs: 10, maxBackoffMs: 50, ...options.retry },
    },
    logger,
  );
  transports.push(t);
  return t;
}

function get(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url, idempotent: true, operation: 'test.get', ...extra };
}

function post(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'POST', url, idempotent: false, operation: 'test.post', body: '{"name":"x"}', ...extra };
}

async function failure(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

function memoryStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

describe('HttpTransport', () => {
  it(
    'returns a successful response with its headers, ' + 'body and parsed JSON, and sends the body with its length',
    async () => {
      const server = await startServer(
        replies({ status: 200, headers: { 'x-request-id': 'REQ-1' }, body: '{"ok":true}' }),
      );
      const response = await transport().send(
        post(`${server.origin}/faces`, { headers: { 'content-type': 'application/json' } }),
      );

      expect(response).toMatchObject({ status: 200, attempts: 1 });
      expect(response.headers['x-request-id']).toBe('REQ-1');
      expect(response.json()).toEqual({ ok: true });
      expect(server.seen).toHaveLength(1);
      expect(server.seen[0]).toMatchObject({ method: 'POST', path: '/faces', body: '{"name":"x"}' });
      expect(server.seen[0].headers['content-length']).toBe('12');
      expect(server.seen[0].headers['content-type']).toBe('application/json');
    },
  );

  it('signs every attempt anew, right before sending it, with the final headers and body', async () => {
    const server = await startServer(replies({ status: 503 }, { status: 503 }, { status: 200 }));
    const signed: Array<{ url: string; contentLength: string; body: string }> = [];
    const response = await transport().send(
      get(`${server.origin}/sets/a?limit=5`, {
        method: 'PUT',
        body: 'payload',
        sign: (req) => {
          signed.push({
            url: req.url.toString(),
            contentLength: req.headers['content-length'],
            body: req.body.toString(),
          });
          return { authorization: `SIG-${signed.length}` };
        },
      }),
    );

    expect(response).toMatchObject({ status: 200, attempts: 3 });
    expect(server.seen.map((s) => s.headers.authorization)).toEqual(['SIG-1', 'SIG-2', 'SIG-3']);
    expect(signed).toHaveLength(3);
    expect(signed[0]).toEqual({ url: `${server.origin}/sets/a?limit=5`, contentLength: '7', body: 'payload' });
  });

  it('retries a 503 and returns the success of the second attempt', async () => {
    const server = await startServer(replies({ status: 503 }, { status: 200, body: '{"id":"f1"}' }));
    const response = await transport().send(get(`${server.origin}/faces/f1`));

    expect(response).toMatchObject({ status: 200, attempts: 2 });
    expect(response.json()).toEqual({ id: 'f1' });
    expect(server.seen).toHaveLength(2);
  });

  it('waits as long as Retry-After asks before retrying a 429', async () => {
    const server = await startServer(replies({ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }));
    const started = Date.now();
    const response = await transport().send(get(`${server.origin}/faces`));

    expect(response).toMatchObject({ status: 200, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(900);
  });

  it(
    'returns a 429 at once when its Retry-After is beyond the time budget, ' + 'so the caller can pass the wait on',
    async () => {
      const server = await startServer(
        replies({ status: 429, headers: { 'retry-after': '30' }, body: '{"error_code":"FRS.0033"}' }),
      );
      const started = Date.now();
      const response = await transport({ retry: { maxTotalMs: 2_000 } }).send(get(`${server.origin}/faces`));

      expect(response).toMatchObject({ status: 429, attempts: 1 });
      expect(response.headers['retry-after']).toBe('30');
      expect(Date.now() - started).toBeLessThan(500);
      expect(server.seen).toHaveLength(1);
    },
  );

  it('stops after maxAttempts and returns the last retryable response', async () => {
    const server = await startServer(replies({ status: 500, body: '{"error_code":"FRS.0018"}' }));
    const response = await transport({ retry: { maxAttempts: 4 } }).send(get(`${server.origin}/faces`));

    expect(response).toMatchObject({ status: 500, attempts: 4 });
    expect(response.json()).toEqual({ error_code: 'FRS.0018' });
    expect(server.seen).toHaveLength(4);
  });

  it('returns a non-retryable error response as it is, after one attempt', async () => {
    const server = await startServer(replies({ status: 404, body: '{"error":"not found"}' }));
    const response = await transport().send(get(`${server.origin}/faces/none`));

    expect(response).toMatchObject({ status: 404, attempts: 1 });
    expect(server.seen).toHaveLength(1);
  });

  it('does not re-send a POST after a 500, since the vendor may have acted on it', async () => {
    const server = await startServer(replies({ status: 500 }, { status: 200 }));
    const response = await transport().send(post(`${server.origin}/faces`));

    expect(response).toMatchObject({ status: 500, attempts: 1 });
    expect(server.seen).toHaveLength(1);
  });

  it('re-sends a POST that the vendor refused with 429', async () => {
    const server = await startServer(replies({ status: 429 }, { status: 201, body: '{"face_id":"f1"}' }));
    const response = await transport().send(post(`${server.origin}/faces`));

    expect(response).toMatchObject({ status: 201, attempts: 2 });
    expect(server.seen).toHaveLength(2);
  });

  it('lets a vendor classifier mark a throttling answer that is not a 429 as refused, with its own wait', async () => {
    const throttled = { status: 400, headers: { 'x-acs-retry-after': '150' }, body: '{"Code":"Throttling.User"}' };
    const server = await startServer(replies(throttled, { status: 200 }));
    const mts = transport({
      classify: (r) => {
        const throttling = r.json<{ Code?: string }>()?.Code?.startsWith('Throttling') ?? false;
        return {
          retryable: throttling,
          refused: throttling,
          retryAfterMs: Number(r.headers['x-acs-retry-after']) || null,
        };
      },
    });
    const response = await mts.send(post(`${server.origin}/?Action=RegisterCustomFace`));

    expect(response).toMatchObject({ status: 200, attempts: 2 });
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(140);
  });

  it('reports AMBIGUOUS for a POST whose server takes it and never answers, and sends it only once', async () => {
    const server = await startServer(() => undefined);
    const started = Date.now();
    const error = await failure(transport({ timeoutMs: 200 }).send(post(`${server.origin}/faces`)));

    expect(error).toMatchObject({ failure: 'AMBIGUOUS', attempts: 1 });
    expect(error.message).toBe(
      'test.post to provider test-provider was sent, but no complete answer came within 200 ms; ' +
        'the vendor may have acted on it (1 attempt)',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.seen).toHaveLength(1);
  });

  it('retries an idempotent GET after a timeout', async () => {
    const server = await startServer(() => undefined);
    const error = await failure(
      transport({ timeoutMs: 150, retry: { maxAttempts: 2 } }).send(get(`${server.origin}/faces`)),
    );

    expect(error).toMatchObject({ failure: 'AMBIGUOUS', attempts: 2 });
    expect(server.seen).toHaveLength(2);
  });

  it('counts a response body that stalls against the same attempt timeout', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
    });
    const started = Date.now();
    const error = await failure(
      transport({ timeoutMs: 200, retry: { maxAttempts: 1 } }).send(get(`${server.origin}/faces`)),
    );

    expect(error.failure).toBe('AMBIGUOUS');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports AMBIGUOUS for a response cut short by the server', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":', () => req.socket.destroy());
    });
    const error = await failure(transport({ retry: { maxAttempts: 1 } }).send(get(`${server.origin}/faces`)));

    expect(error).toMatchObject({ failure: 'AMBIGUOUS', attempts: 1 });
    expect(error.message).toContain('the response was cut short');
  });

  it('reports NOT_SENT for a refused connection, after retrying even a POST up to maxAttempts', async () => {
    const origin = await closedPortOrigin();
    const error = await failure(transport().send(post(`${origin}/v2/project-7/faces?token=QUERY-TOKEN`)));

    expect(error).toMatchObject({ failure: 'NOT_SENT', attempts: 3 });
    expect(error.message).toBe(
      'test.post to provider test-provider was not sent: the connection was refused (3 attempts)',
    );
    expect(error.message).not.toMatch(/project-7|QUERY-TOKEN|\/v2/);
  });

  it(
    'reports AMBIGUOUS when the server drops the connection after reading a POST, ' + 'and does not re-send it',
    async () => {
      const server = await startServer((req) => req.socket.destroy());
      const error = await failure(transport().send(post(`${server.origin}/faces`)));

      expect(error).toMatchObject({ failure: 'AMBIGUOUS', attempts: 1 });
      expect(server.seen).toHaveLength(1);
    },
  );

  it('re-sends an idempotent request after the server dropped the connection', async () => {
    const answer = replies({ status: 204, body: '' });
    const server = await startServer((req, res, index) =>
      index === 0 ? req.socket.destroy() : answer(req, res, index),
    );
    const response = await transport().send(get(`${server.origin}/faces/f1`, { method: 'DELETE' }));

    expect(response).toMatchObject({ status: 204, attempts: 2 });
    expect(response.json()).toBeUndefined();
  });

  it('returns a response with a malformed JSON body as bytes, with json() undefined', async () => {
    const server = await startServer(replies({ status: 200, body: '{"faces": [' }));
    const response = await transport().send(get(`${server.origin}/faces`));

    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('{"faces": [');
    expect(response.json()).toBeUndefined();
  });

  it('spaces requests out at the provider rate after the burst, first come first served', async () => {
    const server = await startServer(replies({ status: 200 }));
    const limited = transport({ ratePerSecond: 10 });
    const sends = Array.from({ length: 15 }, (_, i) =>
      limited.send(get(`${server.origin}/faces`, { headers: { 'x-seq': String(i) } })),
    );
    await Promise.all(sends);

    const order = server.seen.map((s) => Number(s.headers['x-seq']));
    expect(order.slice(0, 10).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order.slice(10)).toEqual([10, 11, 12, 13, 14]);
    // Burst of 10, then one every 100 ms: the 15th leaves about 500 ms after the first.
    expect(server.seen[14].at - server.seen[0].at).toBeGreaterThanOrEqual(450);
  });

  it(
    'fails with EXHAUSTED at once, sending nothing, ' + 'when the rate-limit queue is longer than the time budget',
    async () => {
      const server = await startServer(replies({ status: 200 }));
      const limited = transport({ ratePerSecond: 1, retry: { maxTotalMs: 300 } });
      await limited.send(get(`${server.origin}/faces`));
      const error = await failure(limited.send(get(`${server.origin}/faces`)));

      expect(error).toMatchObject({ failure: 'EXHAUSTED', attempts: 0 });
      expect(error.retryAfterMs).toBeGreaterThan(300);
      expect(error.message).toContain('rate limit queue');
      expect(server.seen).toHaveLength(1);
    },
  );

  it(
    'logs provider, operation, host, status and vendor request id, ' + 'but no path, query, header value or body',
    async () => {
      const server = await startServer(
        replies(
          { status: 429, headers: { 'x-ms-request-id': 'VENDOR-REQ-429' } },
          { status: 200, headers: { 'apim-request-id': 'VENDOR-REQ-200' } },
        ),
      );
      const out = memoryStream();
      const logged = transport({}, createLogger('debug', out.stream));
      await logged.send(
        post(`${server.origin}/v2/project-7/face-sets/set-9/faces?token=QUERY-TOKEN`, {
          operation: 'frs.addFace',
          headers: { authorization: 'Bearer HEADER-SECRET', 'x-custom': 'HEADER-VALUE' },
          body: '{"image_base64":"BODY-BYTES"}',
          sign: () => ({ 'x-sdk-signature': 'SIGNATURE-VALUE' }),
        }),
      );
      const refused = await closedPortOrigin();
      await failure(logged.send(post(`${refused}/v2/project-7/faces?token=QUERY-TOKEN`, { operation: 'frs.addFace' })));

      const text = out.text();
      for (const secret of [
        'project-7',
        'set-9',
        '/v2',
        'QUERY-TOKEN',
        'HEADER-SECRET',
        'HEADER-VALUE',
        'BODY-BYTES',
        'SIGNATURE-VALUE',
      ]) {
        expect(text).not.toContain(secret);
      }
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const host = new URL(server.origin).host;
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            msg: 'vendor request attempt',
            providerId: 'test-provider',
            operation: 'frs.addFace',
            method: 'POST',
            host,
            attempt: 1,
            status: 429,
            vendorRequestId: 'VENDOR-REQ-429',
          }),
          expect.objectContaining({ msg: 'retrying vendor request', host, status: 429, retryInMs: expect.any(Number) }),
          expect.objectContaining({
            msg: 'vendor request attempt',
            attempt: 2,
            status: 200,
            vendorRequestId: 'VENDOR-REQ-200',
          }),
          expect.objectContaining({ msg: 'vendor request failed', failure: 'NOT_SENT', attempts: 3 }),
        ]),
      );
      expect(lines.find((l) => l.status === 200)?.ms).toEqual(expect.any(Number));
    },
  );

  it('refuses to send once closed', async () => {
    const server = await startServer(replies({ status: 200 }));
    const t = transport();
    t.close();
    const error = await failure(t.send(get(`${server.origin}/faces`)));

    expect(error).toMatchObject({ failure: 'NOT_SENT', attempts: 0 });
    expect(server.seen).toHaveLength(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('5', now)).toBe(5_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until then, and a past date as no wait', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:00:02 GMT', now)).toBe(2_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('gives null for absent, negative or unreadable values', () => {
    for (const value of [undefined, '', '-1', 'soon', '1e3', '2025-01-01T00:00:03Z', 'Wed, 99 Jan 2025 00:00:03 GMT']) {
      expect(parseRetryAfter(value, now)).toBeNull();
    }
  });
});
