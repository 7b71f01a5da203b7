import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { FaceGraphError } from '../../src/domain/errors';
import { HttpTransport } from '../../src/datasources/http';
import {
  IamTokenSource,
  tokenHeaders,
  transportPost,
  type IamPost,
  type IamTokenSourceOptions,
} from '../../src/datasources/vendors/huawei-frs/iam-token';

const PASSWORD = 'S3cret-pässword!';
const PROJECT = 'e9993fc787d94b6c886cbaa340f9c0f4';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-22T00:00:00.000Z');

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

interface FakeIam {
  endpoint: string;
  seen: Seen[];
  /** What the next requests get; the last entry repeats. */
  replies: Reply[];
}

const servers: http.Server[] = [];

/** A real HTTP server on 127.0.0.1 playing IAM's POST /v3/auth/tokens. */
async function startIam(replies: Reply[]): Promise<FakeIam> {
  const fake: FakeIam = { endpoint: '', seen: [], replies };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const index = fake.seen.push({ method: req.method!, path: req.url!, headers: req.headers, body }) - 1;
      const reply = fake.replies[Math.min(index, fake.replies.length - 1)]!;
      setTimeout(() => {
        res.writeHead(reply.status, {
          'Content-Type': 'application/json',
          'X-Request-Id': `req-${index}`,
          ...reply.headers,
        });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

const transports: HttpTransport[] = [];

/** The shared transport, as the FRS adapter gives it to the token source. */
function viaTransport(timeoutMs = 15_000): IamPost {
  const retry = { maxAttempts: 3, maxTotalMs: 30_000, baseBackoffMs: 20, maxBackoffMs: 50 };
  const options = { providerId: 'hw-frs', timeoutMs, retry, ratePerSecond: null };
  const transport = new HttpTransport(options, pino({ level: 'silent' }));
  transports.push(transport);
  return transportPost(transport);
}

afterAll(async () => {
  transports.forEach((t) => t.close());
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** IAM's 201: the token in X-Subject-Token, the expiry in token.expires_at (IAM prints microseconds). */
function issued(token: string, issuedAtMs: number, lifetimeMs = 24 * HOUR, delayMs = 0): Reply {
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
  return {
    status: 201,
    delayMs,
    headers: { 'X-Subject-Token': token },
    body: {
      token: {
        expires_at: iso(issuedAtMs + lifetimeMs),
        issued_at: iso(issuedAtMs),
        methods: ['password'],
        project: { id: PROJECT, name: 'cn-north-4', domain: { id: 'd1', name: 'acme' } },
        user: { id: 'u1', name: 'frs-bot', domain: { id: 'd1', name: 'acme' } },
      },
    },
  };
}

function clock(start = T0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function source(fake: FakeIam, extra: Partial<IamTokenSourceOptions> = {}): IamTokenSource {
  return new IamTokenSource({
    providerId: 'hw-frs',
    credentials: { username: 'frs-bot', password: PASSWORD, domainName: 'acme' },
    projectId: PROJECT,
    region: 'cn-north-4',
    iamEndpoint: fake.endpoint,
    post: viaTransport(),
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<FaceGraphError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FaceGraphError);
    return error as FaceGraphError;
  }
  throw new Error('expected a failure');
}

describe('Huawei IAM token source', () => {
  it('asks IAM for a project-scoped password token with the documented body, and reads X-Subject-Token', async () => {
    const c = clock();
    const fake = await startIam([issued('tok-1', T0)]);
    const iam = source(fake, { now: c.fn });
    await expect(iam.getToken()).resolves.toBe('tok-1');

    expect(fake.seen).toHaveLength(1);
    const seen = fake.seen[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v3/auth/tokens?nocatalog=true');
    expect(seen.headers['content-type']).toMatch(/^application\/json/);
    expect(seen.body).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'frs-bot', password: PASSWORD, domain: { name: 'acme' } } },
        },
        scope: { project: { id: PROJECT } },
      },
    });
    expect(iam.expiresAt?.toISOString()).toBe(new Date(T0 + 24 * HOUR).toISOString());
    expect(tokenHeaders('tok-1')).toEqual({ 'X-Auth-Token': 'tok-1' });
  });

  it('scopes to the project named after the region when no project id is configured', async () => {
    const fake = await startIam([issued('tok-r', Date.now())]);
    const iam = source(fake, { projectId: undefined, region: 'ap-southeast-1' });
    await iam.getToken();
    expect((fake.seen[0]!.body as { auth: { scope: unknown } }).auth.scope).toEqual({
      project: { name: 'ap-southeast-1' },
    });
  });

  it('caches the token and refreshes it when less than an hour remains', async () => {
    const c = clock();
    const fake = await startIam([issued('tok-1', T0), issued('tok-2', T0 + 23 * HOUR)]);
    const iam = source(fake, { now: c.fn });
    expect(await iam.getToken()).toBe('tok-1');
    c.now = T0 + 22 * HOUR;
    expect(await iam.getToken()).toBe('tok-1');
    c.now = T0 + 23 * HOUR - 1;
    expect(await iam.getToken()).toBe('tok-1');
    expect(fake.seen).toHaveLength(1);
    c.now = T0 + 23 * HOUR + 1;
    expect(await iam.getToken()).toBe('tok-2');
    expect(await iam.getToken()).toBe('tok-2');
    expect(fake.seen).toHaveLength(2);
  });

  it("refreshes a short-lived token at half its lifetime, on our clock even when IAM's clock is off", async () => {
    const c = clock();
    // IAM's clock is 3 h behind ours; the token lives 10 minutes
    const fake = await startIam([issued('short-1', T0 - 3 * HOUR, 10 * 60_000), issued('short-2', T0, 10 * 60_000)]);
    const iam = source(fake, { now: c.fn });
    expect(await iam.getToken()).toBe('short-1');
    c.now = T0 + 4 * 60_000;
    expect(await iam.getToken()).toBe('short-1');
    c.now = T0 + 5 * 60_000 + 1;
    expect(await iam.getToken()).toBe('short-2');
    expect(fake.seen).toHaveLength(2);
  });

  it('lets concurrent callers share one IAM request', async () => {
    const fake = await startIam([issued('tok-shared', Date.now(), 24 * HOUR, 150)]);
    const iam = source(fake);
    const tokens = await Promise.all(Array.from({ length: 25 }, () => iam.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['tok-shared']));
    expect(fake.seen).toHaveLength(1);
  });

  it('concurrent callers also share one refresh after invalidate()', async () => {
    const fake = await startIam([issued('tok-1', Date.now()), issued('tok-2', Date.now(), 24 * HOUR, 100)]);
    const iam = source(fake);
    await iam.getToken();
    iam.invalidate();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => iam.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['tok-2']));
    expect(fake.seen).toHaveLength(2);
  });

  it('invalidate() forces a refresh; invalidate(staleToken) is a no-op once the token was replaced', async () => {
    const fake = await startIam([
      issued('tok-1', Date.now()),
      issued('tok-2', Date.now()),
      issued('tok-3', Date.now()),
    ]);
    const iam = source(fake);
    expect(await iam.getToken()).toBe('tok-1');
    iam.invalidate();
    expect(await iam.getToken()).toBe('tok-2');
    // two requests that failed with tok-1 report it late: tok-2 stays
    iam.invalidate('tok-1');
    iam.invalidate('tok-1');
    expect(await iam.getToken()).toBe('tok-2');
    expect(fake.seen).toHaveLength(2);
    iam.invalidate('tok-2');
    expect(await iam.getToken()).toBe('tok-3');
    expect(fake.seen).toHaveLength(3);
  });

  it("turns a 401 into VendorAuthError with IAM's code, never the password", async () => {
    const fake = await startIam([
      {
        status: 401,
        // an IAM that echoes the password back: it must not reach our message
        body: {
          error: { code: 'IAM.0007', message: `The username or password is wrong: ${PASSWORD}`, title: 'Unauthorized' },
        },
      },
    ]);
    const iam = source(fake);
    const error = await failure(iam.getToken());
    expect(error.detail).toMatchObject({
      type: 'VendorAuthError',
      vendor: { providerId: 'hw-frs', code: 'IAM.0007', httpStatus: 401, requestId: 'req-0' },
    });
    expect(error.message).toMatch(/^Huawei IAM refused the credentials \(HTTP 401, IAM\.0007/);
    expect(error.message).not.toContain(PASSWORD);
    expect(JSON.stringify(error.detail)).not.toContain(PASSWORD);
  });

  it('turns a 403 with an error_code/error_msg body into VendorAuthError too', async () => {
    const fake = await startIam([{ status: 403, body: { error_code: 'IAM.0101', error_msg: 'The user is locked.' } }]);
    const error = await failure(source(fake).getToken());
    expect(error.detail).toMatchObject({ type: 'VendorAuthError', vendor: { code: 'IAM.0101', httpStatus: 403 } });
    expect(error.message).toContain('The user is locked.');
  });

  it('a 5xx is VendorUnavailableError; a cached token still valid is used meanwhile', async () => {
    const c = clock();
    const fake = await startIam([issued('tok-1', T0), { status: 503, body: { error_msg: 'busy' } }]);
    const iam = source(fake, { now: c.fn });
    expect(await iam.getToken()).toBe('tok-1');
    c.now = T0 + 23.5 * HOUR; // due for refresh, still valid for 30 min: IAM's 503 is not the caller's problem
    expect(await iam.getToken()).toBe('tok-1');
    c.now = T0 + 24 * HOUR; // expired
    const error = await failure(iam.getToken());
    expect(error.detail).toMatchObject({
      type: 'VendorUnavailableError',
      retryable: true,
      vendor: { httpStatus: 503 },
    });
  });

  it('a 2xx without X-Subject-Token is an error, an unreachable IAM is VendorUnavailableError', async () => {
    const fake = await startIam([{ status: 201, body: { token: {} } }]);
    expect((await failure(source(fake).getToken())).detail).toMatchObject({
      type: 'VendorUnavailableError',
      retryable: false,
    });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new IamTokenSource({
      providerId: 'hw-frs',
      credentials: { username: 'frs-bot', password: PASSWORD, domainName: 'acme' },
      region: 'cn-north-4',
      iamEndpoint: `http://127.0.0.1:${port}`,
      post: viaTransport(),
    });
    const error = await failure(unreachable.getToken());
    expect(error.detail).toMatchObject({
      type: 'VendorUnavailableError',
      retryable: true,
      vendor: { code: 'ECONNREFUSED' },
    });
    expect(error.message).not.toContain(PASSWORD);
  });

  it('retries a token request answered 5xx or not in time, through the shared transport', async () => {
    const busy = { status: 503, body: { error_msg: 'busy' } };
    const fake = await startIam([busy, issued('late', Date.now(), 24 * HOUR, 400), issued('tok-3', Date.now())]);
    const iam = source(fake, { post: viaTransport(200) });
    expect(await iam.getToken()).toBe('tok-3');
    expect(fake.seen).toHaveLength(3);
  });

  it('needs a post() for password authentication', () => {
    const credentials = { username: 'u', password: 'p', domainName: 'd' };
    expect(() => new IamTokenSource({ providerId: 'p', credentials, region: 'r' })).toThrow(/post\(\)/);
  });

  it('goes through an injected post() (the shared transport later)', async () => {
    const calls: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    const post: IamPost = async (url, headers, body) => {
      calls.push({ url, headers, body: JSON.parse(body.toString('utf8')) });
      return {
        status: 201,
        headers: { 'x-subject-token': 'via-post' },
        body: Buffer.from(JSON.stringify({ token: { expires_at: new Date(Date.now() + 24 * HOUR).toISOString() } })),
      };
    };
    const iam = new IamTokenSource({
      providerId: 'hw-frs',
      credentials: { username: 'u', password: 'p', domainName: 'd' },
      region: 'cn-north-4',
      post,
    });
    expect(await iam.getToken()).toBe('via-post');
    expect(calls[0]!.url).toBe('https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens?nocatalog=true');
  });

  it('a fixed token is returned as is, without asking IAM', async () => {
    const post = jest.fn<ReturnType<IamPost>, Parameters<IamPost>>();
    const iam = new IamTokenSource({ providerId: 'hw-frs', credentials: { token: 'fixed-token' }, post });
    expect(await iam.getToken()).toBe('fixed-token');
    iam.invalidate();
    expect(await iam.getToken()).toBe('fixed-token');
    expect(post).not.toHaveBeenCalled();
  });

  it('rejects incomplete configuration', () => {
    expect(
      () => new IamTokenSource({ providerId: 'p', credentials: { username: 'u', password: 'p', domainName: 'd' } }),
    ).toThrow(/projectId or a region/);
    expect(
      () =>
        new IamTokenSource({
          providerId: 'p',
          credentials: { username: 'u', password: '', domainName: 'd' },
          region: 'r',
        }),
    ).toThrow(/password/);
  });
});
