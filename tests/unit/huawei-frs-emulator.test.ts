/**
 * Drives the Huawei FRS emulator (tests/emulators/huawei-frs) over raw HTTP.
 *
 * Requests are signed by a small test-only SDK-HMAC-SHA256 signer below, which is cross-checked
 * against the official signer of `@huaweicloud/huaweicloud-sdk-core` (devDependency); the emulator is
 * also shown to accept requests signed by the official signer itself.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  compileFilter,
  parseFilter,
  FilterSyntaxError,
  FrsError,
  startFrsEmulator,
  type FrsEmulator,
} from '../emulators/huawei-frs';
import { bmp, face, groupPhoto, noFace, pattern } from '../support/convention-images';
import { rawRequest, type Reply } from '../support/raw-http';

const PROJECT = '0123456789abcdef0123456789abcdef';
const AK = 'TESTAKFRS00000000001';
const SK = 'test-only-secret-key-1';
const AK2 = 'TESTAKFRS00000000002';
const SK2 = 'test-only-secret-key-2';
const STATIC_TOKEN = 'static-test-token';

// ------------------------------------------------------------------------------------------------
// official signer (loaded with a throw-away HOME: the SDK core may write ~/.huaweicloud/...)

interface OfficialSigner {
  sign(
    request: {
      method: string;
      endpoint: string;
      headers: Record<string, string>;
      queryParams?: Record<string, unknown>;
      data?: unknown;
    },
    credential: unknown,
  ): Record<string, string>;
}
let AKSKSigner: OfficialSigner;
let officialCredential: (ak: string, sk: string) => unknown;

// ------------------------------------------------------------------------------------------------
// test-only signer (written from the notes §7.2, not from the SDK)

function sdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function enc(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : '%' + b.toString(16).toUpperCase().padStart(2, '0'),
    )
    .join('');
}

function queryString(query: [string, string][]): string {
  return query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

interface SignInput {
  method: string;
  host: string;
  path: string;
  query?: [string, string][];
  headers: Record<string, string>;
  body?: Buffer | string;
  ak?: string;
  sk?: string;
  date?: string;
  /** signed header names to leave out of SignedHeaders (to build broken requests) */
  omitSigned?: string[];
}

function testSign(input: SignInput): Record<string, string> {
  const headers: Record<string, string> = { ...input.headers, host: input.host };
  headers['X-Sdk-Date'] = input.date ?? sdkDate(Date.now());
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .filter((h) => !(input.omitSigned ?? []).includes(h))
    .filter((h) => !(h === 'content-type' && /multipart\/form-data/i.test(headers['content-type'] ?? '')))
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalPath = input.path.split('/').map(enc).join('/');
  const sortedQuery = [...(input.query ?? [])].sort(([a, av], [b, bv]) =>
    a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  const payload =
    lower['x-sdk-content-sha256'] ??
    createHash('sha256')
      .update(input.body ?? '')
      .digest('hex');
  const canonical = [
    input.method,
    canonicalPath.endsWith('/') ? canonicalPath : canonicalPath + '/',
    queryString(sortedQuery),
    names.map((n) => `${n}:${(lower[n] ?? '').trim()}\n`).join(''),
    names.join(';'),
    payload,
  ].join('\n');
  const toSign = `SDK-HMAC-SHA256\n${headers['X-Sdk-Date']}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', input.sk ?? SK)
    .update(toSign)
    .digest('hex');
  return {
    ...headers,
    Authorization: `SDK-HMAC-SHA256 Access=${input.ak ?? AK}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

// ------------------------------------------------------------------------------------------------
// raw HTTP

function send(
  emulator: FrsEmulator,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: Buffer | string,
  timeoutMs?: number,
): Promise<Reply> {
  return rawRequest(emulator.endpoint, method, pathAndQuery, headers, body, timeoutMs);
}

type Auth = 'aksk' | 'none' | { token: string } | { ak: string; sk: string };

interface CallOptions {
  json?: unknown;
  rawBody?: Buffer | string;
  contentType?: string;
  query?: [string, string][];
  auth?: Auth;
  headers?: Record<string, string>;
  timeoutMs?: number;
  project?: string;
}

/** Calls `/v2/{project}{path}` signed with the test signer (AK/SK by default). */
async function frs(emulator: FrsEmulator, method: string, p: string, options: CallOptions = {}): Promise<Reply> {
  const project = options.project ?? PROJECT;
  const fullPath = p.startsWith('/v3/') ? p : `/v2/${project}${p}`;
  const body = options.rawBody ?? (options.json !== undefined ? JSON.stringify(options.json) : undefined);
  const headers: Record<string, string> = {
    'Content-Type': options.contentType ?? 'application/json',
    'X-Project-Id': project,
    ...options.headers,
  };
  const q = options.query ?? [];
  const pathAndQuery = q.length > 0 ? `${fullPath}?${queryString(q)}` : fullPath;
  const auth = options.auth ?? 'aksk';
  let finalHeaders = headers;
  if (auth === 'aksk' || (typeof auth === 'object' && 'ak' in auth)) {
    const host = new URL(emulator.endpoint).host;
    const creds = auth === 'aksk' ? { ak: AK, sk: SK } : auth;
    finalHeaders = testSign({ method, host, path: fullPath, query: q, headers, body, ak: creds.ak, sk: creds.sk });
  } else if (typeof auth === 'object') {
    finalHeaders = { ...headers, 'X-Auth-Token': auth.token };
  }
  return send(emulator, method, pathAndQuery, finalHeaders, body, options.timeoutMs);
}

function expectFrsError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.json?.error_code }).toEqual({ status, code });
  expect(typeof reply.json.error_msg).toBe('string');
  expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
}

function expectGatewayError(reply: Reply, status: number, code: string, msg: string | RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.json.error_code).toBe(code);
  if (typeof msg === 'string') expect(reply.json.error_msg).toBe(msg);
  else expect(reply.json.error_msg).toMatch(msg);
  expect(reply.json.request_id).toBe(reply.headers['x-request-id']);
}

// ------------------------------------------------------------------------------------------------
// images

/** A textured RGB picture; different seeds give unrelated fingerprints. */

function multipart(
  fields: Record<string, string>,
  file?: { name: string; data: Buffer },
): { body: Buffer; contentType: string } {
  const boundary = '----frsEmulatorTestBoundary7d9';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; ` +
          `filename="face.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
    );
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

const b64 = (b: Buffer) => b.toString('base64');

// ------------------------------------------------------------------------------------------------

let emu: FrsEmulator;

beforeAll(async () => {
  process.env['HOME'] = mkdtempSync(path.join(os.tmpdir(), 'frs-emu-home-'));
  AKSKSigner = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner').AKSKSigner;
  const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials');
  officialCredential = (ak, sk) => new BasicCredentials().withAk(ak).withSk(sk).withProjectId(PROJECT);
  emu = await startFrsEmulator({
    projectId: PROJECT,
    credentials: [
      { accessKeyId: AK, secretAccessKey: SK },
      { accessKeyId: AK2, secretAccessKey: SK2 },
    ],
    tokens: [STATIC_TOKEN],
    iamUsers: [{ name: 'alice', password: 'right-password', domainName: 'acme' }],
  });
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.state.reset();
  emu.faults.clear();
  emu.resetAkLockouts();
});

async function createSet(name: string, extra: Record<string, unknown> = {}): Promise<Reply> {
  const r = await frs(emu, 'POST', '/face-sets', { json: { face_set_name: name, ...extra } });
  expect(r.status).toBe(200);
  return r;
}

async function addFace(set: string, image: Buffer, extra: Record<string, unknown> = {}): Promise<Reply> {
  return frs(emu, 'POST', `/face-sets/${set}/faces`, { json: { image_base64: b64(image), ...extra } });
}

const PEOPLE_FIELDS = {
  external_fields: {
    age: { type: 'integer' },
    ts: { type: 'long' },
    score: { type: 'double' },
    name: { type: 'string' },
    vip: { type: 'boolean' },
  },
};

// ================================================================================================

describe('AK/SK authentication (SDK-HMAC-SHA256)', () => {
  it('test signer and the official Huawei signer produce the same Authorization', () => {
    const host = '127.0.0.1:4580';
    const date = '20240102T030405Z';
    const cases: {
      method: string;
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
      data?: unknown;
    }[] = [
      {
        method: 'GET',
        path: `/v2/${PROJECT}/face-sets`,
        query: {},
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
      },
      {
        method: 'GET',
        path: `/v2/${PROJECT}/face-sets/s1/faces`,
        query: { offset: '5', limit: '10' },
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
      },
      {
        method: 'DELETE',
        path: `/v2/${PROJECT}/face-sets/s1/faces`,
        query: { name: 'Zhang San/张三' },
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
      },
      {
        method: 'DELETE',
        path: `/v2/${PROJECT}/face-sets/s1/faces/batch`,
        query: {},
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
        data: { filter: 'age:[1 TO 20] && vip:true' },
      },
      {
        method: 'POST',
        path: `/v2/${PROJECT}/face-sets`,
        query: {},
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
        data: { face_set_name: 'x', external_fields: { a: { type: 'long' } } },
      },
    ];
    for (const c of cases) {
      const official = AKSKSigner.sign(
        {
          method: c.method,
          endpoint: `http://${host}${c.path}`,
          headers: { ...c.headers, 'X-Sdk-Date': date },
          queryParams: c.query,
          data: c.data,
        },
        officialCredential(AK, SK),
      );
      const mine = testSign({
        method: c.method,
        host,
        path: c.path,
        query: Object.entries(c.query),
        headers: c.headers,
        body: c.data === undefined ? undefined : JSON.stringify(c.data),
        date,
      });
      expect(mine['Authorization']).toBe(official['Authorization']);
    }
  });

  it(
    'accepts requests signed by the official signer (JSON POST, ' + 'GET with query, DELETE with body, multipart)',
    async () => {
      const host = new URL(emu.endpoint).host;
      const officialCall = async (
        method: string,
        p: string,
        query: Record<string, string>,
        headers: Record<string, string>,
        data?: unknown,
        raw?: Buffer,
      ) => {
        const signed = AKSKSigner.sign(
          { method, endpoint: `${emu.endpoint}${p}`, headers, queryParams: query, data },
          officialCredential(AK, SK),
        );
        expect(signed['host']).toBe(host);
        const qs = Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
        // like the SDK's request builder: the request headers plus what the signer returns (for
        // multipart the signer leaves the unsigned content-type out of its result)
        return send(
          emu,
          method,
          p + qs,
          { ...headers, ...signed },
          raw ?? (data === undefined ? undefined : JSON.stringify(data)),
        );
      };
      const base = { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT };
      const created = await officialCall('POST', `/v2/${PROJECT}/face-sets`, {}, base, {
        face_set_name: 'official',
        ...PEOPLE_FIELDS,
      });
      expect(created.status).toBe(200);
      const listed = await officialCall(
        'GET',
        `/v2/${PROJECT}/face-sets/official/faces`,
        { offset: '0', limit: '3' },
        base,
      );
      expect(listed.status).toBe(200);
      const form = multipart(
        { external_image_id: 'via-official', external_fields: '{"age":3}' },
        { name: 'image_file', data: await face(1) },
      );
      const added = await officialCall(
        'POST',
        `/v2/${PROJECT}/face-sets/official/faces`,
        {},
        { 'content-type': form.contentType, 'X-Project-Id': PROJECT, 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
        undefined,
        form.body,
      );
      expect(added.status).toBe(200);
      expect(added.json.faces[0].external_image_id).toBe('via-official');
      const batch = await officialCall('DELETE', `/v2/${PROJECT}/face-sets/official/faces/batch`, {}, base, {
        filter: 'age:3',
      });
      expect(batch.status).toBe(200);
      expect(batch.json.face_number).toBe(1);
      expect(emu.requests.slice(-4).every((r) => r.auth === 'aksk' && r.authenticated && r.accessKeyId === AK)).toBe(
        true,
      );
    },
  );

  function officialSigned(method = 'GET', date?: string, ak = AK, sk = SK): Record<string, string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT };
    if (date) headers['X-Sdk-Date'] = date;
    return AKSKSigner.sign(
      { method, endpoint: `${emu.endpoint}/v2/${PROJECT}/face-sets`, headers, queryParams: {} },
      officialCredential(ak, sk),
    );
  }

  it('rejects a signature with one flipped byte', async () => {
    const headers = officialSigned();
    const auth = headers['Authorization'] as string;
    const last = auth.slice(-1);
    headers['Authorization'] = auth.slice(0, -1) + (last === '0' ? '1' : '0');
    const r = await send(emu, 'GET', `/v2/${PROJECT}/face-sets`, headers);
    expectGatewayError(r, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    expect(emu.requests.at(-1)?.authFailure).toBe('signature-mismatch');
  });

  it('rejects a correctly signed but stale X-Sdk-Date (> 15 min)', async () => {
    const stale = sdkDate(Date.now() - 16 * 60 * 1000);
    const r = await send(emu, 'GET', `/v2/${PROJECT}/face-sets`, officialSigned('GET', stale));
    expectGatewayError(r, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    expect(emu.requests.at(-1)?.authFailure).toBe('date-skew');
    // 14 minutes old is still fine
    const fresh = sdkDate(Date.now() - 14 * 60 * 1000);
    const host = new URL(emu.endpoint).host;
    const r2 = await send(
      emu,
      'GET',
      `/v2/${PROJECT}/face-sets`,
      testSign({
        method: 'GET',
        host,
        path: `/v2/${PROJECT}/face-sets`,
        headers: { 'X-Project-Id': PROJECT },
        date: fresh,
      }),
    );
    expect(r2.status).toBe(200);
  });

  it('rejects an unknown AK with the gateway "Get secretKey failed" body', async () => {
    const r = await send(
      emu,
      'GET',
      `/v2/${PROJECT}/face-sets`,
      officialSigned('GET', undefined, 'UNKNOWNAK0000000000X', 'whatever'),
    );
    expectGatewayError(
      r,
      401,
      'APIGW.0301',
      'Incorrect IAM authentication information: Get secretKey failed,ak:UNKNOWNAK0000000000X,err:ak not exist',
    );
  });

  it('rejects a request whose SignedHeaders omit x-sdk-date', async () => {
    const host = new URL(emu.endpoint).host;
    const headers = testSign({
      method: 'GET',
      host,
      path: `/v2/${PROJECT}/face-sets`,
      headers: { 'X-Project-Id': PROJECT },
      omitSigned: ['x-sdk-date'],
    });
    expect(headers['Authorization']).not.toContain('x-sdk-date');
    const r = await send(emu, 'GET', `/v2/${PROJECT}/face-sets`, headers);
    expectGatewayError(r, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    expect(emu.requests.at(-1)?.authFailure).toBe('date-not-signed');
  });

  it('rejects a malformed Authorization header and a request without credentials', async () => {
    const r = await send(emu, 'GET', `/v2/${PROJECT}/face-sets`, {
      Authorization: 'SDK-HMAC-SHA256 Credential=AK/20150907//ec2/sdk_request, SignedHeaders=host, Signature=00',
    });
    expectGatewayError(r, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    const none = await frs(emu, 'GET', '/face-sets', { auth: 'none' });
    expectGatewayError(none, 401, 'APIGW.0301', /^Incorrect IAM authentication information/);
  });

  it('detects a body changed after signing (payload hash) and accepts UNSIGNED-PAYLOAD', async () => {
    const host = new URL(emu.endpoint).host;
    const p = `/v2/${PROJECT}/face-sets`;
    const headers = testSign({
      method: 'POST',
      host,
      path: p,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
      body: '{"face_set_name":"a"}',
    });
    const tampered = await send(emu, 'POST', p, headers, '{"face_set_name":"b"}');
    expect(tampered.status).toBe(401);
    const unsigned = testSign({
      method: 'POST',
      host,
      path: p,
      headers: {
        'Content-Type': 'application/json',
        'X-Project-Id': PROJECT,
        'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    const r = await send(emu, 'POST', p, unsigned, '{"face_set_name":"b"}');
    expect(r.status).toBe(200);
  });

  it('locks an AK after 5 consecutive failures (gateway "AK access failed to reach the limit")', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await frs(emu, 'GET', '/face-sets', { auth: { ak: AK2, sk: 'wrong-secret' } });
      expect(r.json.error_msg).toBe('Incorrect IAM authentication information: verify aksk signature fail');
    }
    const locked = await frs(emu, 'GET', '/face-sets', { auth: { ak: AK2, sk: SK2 } });
    expectGatewayError(
      locked,
      401,
      'APIGW.0301',
      'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden.',
    );
    expect((await frs(emu, 'GET', '/face-sets')).status).toBe(200); // other AKs unaffected
    emu.resetAkLockouts();
    expect((await frs(emu, 'GET', '/face-sets', { auth: { ak: AK2, sk: SK2 } })).status).toBe(200);
  });

  it('answers FRS.0028 (403) when X-Project-Id or the path project is not the account project', async () => {
    const wrongHeader = await frs(emu, 'GET', '/face-sets', {
      headers: { 'X-Project-Id': 'ffffffffffffffffffffffffffffffff' },
    });
    expectFrsError(wrongHeader, 403, 'FRS.0028');
    const wrongPath = await frs(emu, 'GET', '/face-sets', { project: 'ffffffffffffffffffffffffffffffff' });
    expectFrsError(wrongPath, 403, 'FRS.0028');
    const host = new URL(emu.endpoint).host;
    const p = `/v2/${PROJECT}/face-sets`;
    const noHeader = await send(emu, 'GET', p, testSign({ method: 'GET', host, path: p, headers: {} }));
    expect(noHeader.status).toBe(200); // X-Project-Id is optional
  });
});

describe('IAM tokens and X-Auth-Token', () => {
  const iamBody = (password: string, scope: unknown = { project: { name: 'cn-north-4' } }) => ({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'alice', password, domain: { name: 'acme' } } } },
      scope,
    },
  });
  const iam = (body: unknown, query = '') =>
    send(emu, 'POST', `/v3/auth/tokens${query}`, { 'Content-Type': 'application/json' }, JSON.stringify(body));

  it('issues a 24 h token in X-Subject-Token that authenticates FRS calls', async () => {
    const before = Date.now();
    const r = await iam(iamBody('right-password'));
    expect(r.status).toBe(201);
    const token = r.headers['x-subject-token'] as string;
    expect(token).toMatch(/^MII/);
    expect(r.headers['x-request-id']).toBeDefined();
    expect(r.json.token.methods).toEqual(['password']);
    expect(r.json.token.project).toMatchObject({ id: PROJECT, name: 'cn-north-4' });
    expect(r.json.token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const ttl = Date.parse(r.json.token.expires_at) - before;
    expect(ttl).toBeGreaterThan(24 * 3600 * 1000 - 5000);
    expect(ttl).toBeLessThan(24 * 3600 * 1000 + 5000);
    expect(Array.isArray(r.json.token.catalog)).toBe(true);
    const noCatalog = await iam(iamBody('right-password'), '?nocatalog=true');
    expect(noCatalog.json.token.catalog).toBeUndefined();

    const listed = await frs(emu, 'GET', '/face-sets', { auth: { token } });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({ face_sets_info: [] });
    expect(emu.requests.at(-1)).toMatchObject({ auth: 'token', authenticated: true, operation: 'listFaceSets' });
  });

  it('refuses a wrong password (401) and a foreign project scope', async () => {
    const bad = await iam(iamBody('nope'));
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({
      error: { code: 401, message: 'The username or password is wrong.', title: 'Unauthorized' },
    });
    expect(bad.headers['x-subject-token']).toBeUndefined();
    expect((await iam(iamBody('right-password', { project: { name: 'eu-west-0' } }))).status).toBe(401);
    expect((await iam({ auth: {} })).status).toBe(400);
  });

  it('a domain-scoped token is refused by FRS with FRS.0028', async () => {
    const r = await iam(iamBody('right-password', { domain: { name: 'acme' } }));
    expect(r.status).toBe(201);
    const denied = await frs(emu, 'GET', '/face-sets', { auth: { token: r.headers['x-subject-token'] as string } });
    expectFrsError(denied, 403, 'FRS.0028');
  });

  it('static tokens work; unknown and expired tokens get the gateway "decrypt token fail" 401', async () => {
    expect((await frs(emu, 'GET', '/face-sets', { auth: { token: STATIC_TOKEN } })).status).toBe(200);
    const unknown = await frs(emu, 'GET', '/face-sets', { auth: { token: 'MIInot-a-token' } });
    expectGatewayError(unknown, 401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
    const shortLived = emu.issueToken({ ttlMs: 1000 });
    expect((await frs(emu, 'GET', '/face-sets', { auth: { token: shortLived } })).status).toBe(200);
    emu.clock.advance(2000);
    try {
      const expired = await frs(emu, 'GET', '/face-sets', { auth: { token: shortLived } });
      expectGatewayError(expired, 401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
      expect(emu.requests.at(-1)?.authFailure).toBe('token-expired');
    } finally {
      emu.clock.advance(-2000);
    }
  });

  it('quirk expiredToken=frs answers 403 FRS.0002 instead', async () => {
    const other = await startFrsEmulator({ projectId: PROJECT, credentials: [], quirks: { expiredToken: 'frs' } });
    try {
      const t = other.issueToken({ ttlMs: 1 });
      other.clock.advance(10);
      const r = await frs(other, 'GET', '/face-sets', { auth: { token: t } });
      expectFrsError(r, 403, 'FRS.0002');
      expect(r.json.error_msg).toBe('The authentication token is abnormal.');
    } finally {
      await other.close();
    }
  });
});

describe('routing', () => {
  it('unknown paths and methods get the gateway 404 APIGW.0101, every answer has X-Request-Id', async () => {
    const r = await frs(emu, 'GET', '/face-sets/a/b/c/d');
    expectGatewayError(r, 404, 'APIGW.0101', /does not exist/);
    const wrongMethod = await frs(emu, 'PATCH', '/face-sets');
    expect(wrongMethod.status).toBe(404);
    const v1 = await send(emu, 'GET', `/v1/${PROJECT}/face-sets`, {});
    expect(v1.status).toBe(404);
    expect(emu.requests.at(-1)?.operation).toBe('unknown');
  });
});

describe('face sets', () => {
  it('create / get / list / delete with the documented shapes', async () => {
    const created = await createSet('people', { face_set_capacity: 10000, ...PEOPLE_FIELDS });
    const info = created.json.face_set_info;
    expect(info).toEqual({
      face_set_name: 'people',
      face_set_id: expect.stringMatching(/^[A-Za-z0-9]{8}$/),
      face_number: 0,
      external_fields: PEOPLE_FIELDS.external_fields,
      face_set_capacity: 10000,
      create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    await createSet('plain');
    const got = await frs(emu, 'GET', '/face-sets/people');
    expect(got.json).toEqual({ face_set_info: info });
    const plain = await frs(emu, 'GET', '/face-sets/plain');
    expect(plain.json.face_set_info).toMatchObject({ face_set_capacity: 100000, external_fields: {} });
    const listed = await frs(emu, 'GET', '/face-sets');
    expect(listed.json.face_sets_info.map((s: { face_set_name: string }) => s.face_set_name)).toEqual([
      'people',
      'plain',
    ]);
    const deleted = await frs(emu, 'DELETE', '/face-sets/people');
    expect(deleted.json).toEqual({ face_set_name: 'people' });
    expect(emu.state.getFaceSet('people')).toBeUndefined();
    expectFrsError(await frs(emu, 'GET', '/face-sets/people'), 400, 'FRS.0302');
    expectFrsError(await frs(emu, 'DELETE', '/face-sets/people'), 400, 'FRS.0302');
  });

  it('tolerates a numeric-string capacity (the doc example sends one)', async () => {
    const r = await createSet('s', { face_set_capacity: '20000' });
    expect(r.json.face_set_info.face_set_capacity).toBe(20000);
  });

  it.each([
    ['missing name', {}, 'FRS.0011'],
    ['empty name', { face_set_name: '' }, 'FRS.0011'],
    ['name with a dot', { face_set_name: 'a.b' }, 'FRS.0012'],
    ['name of 65 chars', { face_set_name: 'a'.repeat(65) }, 'FRS.0012'],
    ['numeric name', { face_set_name: 123 }, 'FRS.0012'],
    ['capacity not a multiple of 10000', { face_set_name: 's', face_set_capacity: 15000 }, 'FRS.0012'],
    ['capacity above 100000', { face_set_name: 's', face_set_capacity: 110000 }, 'FRS.0012'],
    ['capacity 0', { face_set_name: 's', face_set_capacity: 0 }, 'FRS.0012'],
    ['external_fields not an object', { face_set_name: 's', external_fields: [] }, 'FRS.0012'],
    ['unknown field type', { face_set_name: 's', external_fields: { a: { type: 'date' } } }, 'FRS.0012'],
    ['upper-case field type', { face_set_name: 's', external_fields: { a: { type: 'LONG' } } }, 'FRS.0012'],
    ['reserved field name', { face_set_name: 's', external_fields: { face_id: { type: 'string' } } }, 'FRS.0012'],
    [
      'reserved field name similarity',
      { face_set_name: 's', external_fields: { similarity: { type: 'double' } } },
      'FRS.0012',
    ],
    ['field name with a space', { face_set_name: 's', external_fields: { 'a b': { type: 'string' } } }, 'FRS.0012'],
    [
      'field name of 37 chars',
      { face_set_name: 's', external_fields: { ['f'.repeat(37)]: { type: 'string' } } },
      'FRS.0012',
    ],
    [
      '11 fields',
      {
        face_set_name: 's',
        external_fields: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, { type: 'long' }])),
      },
      'FRS.0012',
    ],
  ])('rejects %s', async (_label, body, code) => {
    expectFrsError(await frs(emu, 'POST', '/face-sets', { json: body }), 400, code);
  });

  it('accepts exactly 10 fields; duplicate name → FRS.0301; the 11th set → FRS.0305', async () => {
    await createSet('ten', {
      external_fields: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, { type: 'long' }])),
    });
    expectFrsError(await frs(emu, 'POST', '/face-sets', { json: { face_set_name: 'ten' } }), 400, 'FRS.0301');
    for (let i = 1; i < 10; i++) await createSet(`set-${i}`);
    expectFrsError(await frs(emu, 'POST', '/face-sets', { json: { face_set_name: 'eleventh' } }), 400, 'FRS.0305');
  });

  it('rejects a body that is not JSON (FRS.0014) and a missing Content-Type (FRS.0010)', async () => {
    expectFrsError(await frs(emu, 'POST', '/face-sets', { rawBody: '{"face_set_name":' }), 400, 'FRS.0014');
    expectFrsError(await frs(emu, 'POST', '/face-sets', { rawBody: '[1,2]' }), 400, 'FRS.0014');
    const host = new URL(emu.endpoint).host;
    const p = `/v2/${PROJECT}/face-sets`;
    const body = '{"face_set_name":"x"}';
    const r = await send(
      emu,
      'POST',
      p,
      testSign({ method: 'POST', host, path: p, headers: { 'X-Project-Id': PROJECT }, body }),
      body,
    );
    expectFrsError(r, 400, 'FRS.0010');
  });
});

describe('adding faces', () => {
  beforeEach(async () => {
    await createSet('people', PEOPLE_FIELDS);
  });

  it('base64 image → one face with the central-50% box, an 8-letter face_id and the given fields', async () => {
    const r = await addFace('people', await face(1), {
      external_image_id: 'person-42',
      external_fields: { age: 30, ts: 1704164645000, score: 0.5, name: 'zhang_san', vip: true },
    });
    expect(r.status).toBe(200);
    const set = emu.state.getFaceSet('people');
    expect(r.json).toEqual({
      face_set_id: set?.face_set_id,
      face_set_name: 'people',
      faces: [
        {
          bounding_box: { top_left_x: 60, top_left_y: 60, width: 120, height: 120 },
          external_image_id: 'person-42',
          external_fields: { age: 30, ts: 1704164645000, score: 0.5, name: 'zhang_san', vip: true },
          face_id: expect.stringMatching(/^[A-Za-z]{8}$/),
        },
      ],
    });
    expect(emu.state.faces('people')).toHaveLength(1);
    expect((await frs(emu, 'GET', '/face-sets/people')).json.face_set_info.face_number).toBe(1);
  });

  it('generates an external_image_id when none is given; PNG and BMP are accepted', async () => {
    const r = await addFace('people', await face(2, 'png'));
    expect(r.json.faces[0].external_image_id).toMatch(/^[A-Za-z0-9_-]{1,36}$/);
    expect(r.json.faces[0].external_fields).toEqual({});
    const viaBmp = await addFace('people', bmp(pattern(3, 240, 240), 240, 240));
    expect(viaBmp.status).toBe(200);
  });

  it('a group photo adds every face (single=false) or only the largest (single=true)', async () => {
    const all = await addFace('people', await groupPhoto(3), { external_image_id: 'group' });
    expect(all.json.faces.map((f: { bounding_box: { top_left_x: number } }) => f.bounding_box.top_left_x)).toEqual([
      50, 250, 450,
    ]);
    expect(new Set(all.json.faces.map((f: { external_image_id: string }) => f.external_image_id))).toEqual(
      new Set(['group']),
    );
    const one = await addFace('people', await groupPhoto(3), { single: true });
    expect(one.json.faces).toHaveLength(1);
    const withBlank = await addFace('people', await groupPhoto(3, [1]));
    expect(withBlank.json.faces).toHaveLength(2);
    expect(emu.state.faces('people')).toHaveLength(6);
  });

  it('multipart image_file with text fields (external_fields as JSON text, single as "true")', async () => {
    const form = multipart(
      { external_image_id: 'mp-1', external_fields: JSON.stringify({ age: 7 }), single: 'true', refresh: 'true' },
      { name: 'image_file', data: await groupPhoto(2) },
    );
    const r = await frs(emu, 'POST', '/face-sets/people/faces', {
      rawBody: form.body,
      contentType: form.contentType,
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(r.status).toBe(200);
    expect(r.json.faces).toHaveLength(1);
    expect(r.json.faces[0]).toMatchObject({ external_image_id: 'mp-1', external_fields: { age: 7 } });
    const noFile = multipart({ external_image_id: 'x' });
    expectFrsError(
      await frs(emu, 'POST', '/face-sets/people/faces', { rawBody: noFile.body, contentType: noFile.contentType }),
      400,
      'FRS.0011',
    );
    const badFields = multipart({ external_fields: '{age:' }, { name: 'image_file', data: await face(1) });
    expectFrsError(
      await frs(emu, 'POST', '/face-sets/people/faces', {
        rawBody: badFields.body,
        contentType: badFields.contentType,
      }),
      400,
      'FRS.0012',
    );
  });

  it('image_url reads registered "OBS" objects; bad URL → FRS.0021, unreadable object → FRS.0022', async () => {
    emu.state.obs.set('/bucket/faces/a.jpg', await face(4));
    const r = await frs(emu, 'POST', '/face-sets/people/faces', { json: { image_url: '/bucket/faces/a.jpg' } });
    expect(r.status).toBe(200);
    expectFrsError(
      await frs(emu, 'POST', '/face-sets/people/faces', { json: { image_url: 'not a url' } }),
      400,
      'FRS.0021',
    );
    expectFrsError(
      await frs(emu, 'POST', '/face-sets/people/faces', { json: { image_url: '/bucket/missing.jpg' } }),
      400,
      'FRS.0022',
    );
  });

  it('no face in the image → FRS.0404 with the documented message', async () => {
    const r = await addFace('people', await noFace());
    expectFrsError(r, 400, 'FRS.0404');
    expect(r.json.error_msg).toBe('Detect no face, can not add it to face set.');
    expect(emu.state.faces('people')).toHaveLength(0);
  });

  it.each([
    ['no image', async () => ({}), 'FRS.0011'],
    [
      'both image_base64 and image_url',
      async () => ({ image_base64: b64(await face(1)), image_url: '/b/x.jpg' }),
      'FRS.0012',
    ],
    [
      'base64 with a line break',
      async () => ({ image_base64: b64(await face(1)).replace(/^(.{76})/, '$1\n') }),
      'FRS.0015',
    ],
    ['base64 with bad characters', async () => ({ image_base64: '@@@@' }), 'FRS.0015'],
    [
      'not an image',
      async () => ({ image_base64: b64(Buffer.from('hello world, this is not a picture')) }),
      'FRS.0016',
    ],
    [
      'a GIF',
      async () => ({
        image_base64: b64(
          await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
            .gif()
            .toBuffer(),
        ),
      }),
      'FRS.0016',
    ],
    ['a truncated JPEG', async () => ({ image_base64: b64((await face(1)).subarray(0, 600)) }), 'FRS.0016'],
    [
      'an image larger than 8 MB',
      async () => ({
        image_base64: b64(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(8 * 1024 * 1024)])),
      }),
      'FRS.0013',
    ],
    ['a face smaller than 80x80', async () => ({ image_base64: b64(await face(1, 'jpeg', 90, 150)) }), 'FRS.0013'],
    [
      'a resolution above 4096',
      async () => ({
        image_base64: b64(
          await sharp({ create: { width: 4100, height: 300, channels: 3, background: '#808080' } })
            .png()
            .toBuffer(),
        ),
      }),
      'FRS.0013',
    ],
    [
      'external_image_id with a space',
      async () => ({ image_base64: b64(await face(1)), external_image_id: 'a b' }),
      'FRS.0012',
    ],
    [
      'external_image_id of 37 chars',
      async () => ({ image_base64: b64(await face(1)), external_image_id: 'x'.repeat(37) }),
      'FRS.0012',
    ],
    [
      'integer field given a string',
      async () => ({ image_base64: b64(await face(1)), external_fields: { age: '30' } }),
      'FRS.0012',
    ],
    [
      'integer field given a fraction',
      async () => ({ image_base64: b64(await face(1)), external_fields: { age: 1.5 } }),
      'FRS.0012',
    ],
    [
      'integer field above int32',
      async () => ({ image_base64: b64(await face(1)), external_fields: { age: 2 ** 31 } }),
      'FRS.0012',
    ],
    [
      'long field given "100L"',
      async () => ({ image_base64: b64(await face(1)), external_fields: { ts: '100L' } }),
      'FRS.0012',
    ],
    [
      'boolean field given 1',
      async () => ({ image_base64: b64(await face(1)), external_fields: { vip: 1 } }),
      'FRS.0012',
    ],
    [
      'string value with a space',
      async () => ({ image_base64: b64(await face(1)), external_fields: { name: 'zhang san' } }),
      'FRS.0012',
    ],
    [
      'string value of 257 chars',
      async () => ({ image_base64: b64(await face(1)), external_fields: { name: 'n'.repeat(257) } }),
      'FRS.0012',
    ],
    [
      'empty string value',
      async () => ({ image_base64: b64(await face(1)), external_fields: { name: '' } }),
      'FRS.0011',
    ],
    [
      'an undeclared field',
      async () => ({ image_base64: b64(await face(1)), external_fields: { height: 180 } }),
      'FRS.0402',
    ],
    ['single as a string in JSON', async () => ({ image_base64: b64(await face(1)), single: 'true' }), 'FRS.0012'],
  ])('rejects %s', async (_label, makeBody, code) => {
    const r = await frs(emu, 'POST', '/face-sets/people/faces', { json: await makeBody() });
    expectFrsError(r, 400, code);
    expect(emu.state.faces('people')).toHaveLength(0);
  });

  it('unknown face set → FRS.0302; full set → 403 FRS.0306 (also when a group photo would overflow it)', async () => {
    expectFrsError(await addFace('nobody', await face(1)), 400, 'FRS.0302');
    await createSet('small', { face_set_capacity: 10000 });
    emu.state.seedFaces('small', 9998);
    expectFrsError(await addFace('small', await groupPhoto(3)), 403, 'FRS.0306');
    expect((await addFace('small', await groupPhoto(2))).status).toBe(200);
    const full = await addFace('small', await face(1));
    expectFrsError(full, 403, 'FRS.0306');
    expect(emu.state.faces('small')).toHaveLength(10000);
  });

  it('a body above 12 MiB → FRS.0017', async () => {
    const r = await frs(emu, 'POST', '/face-sets/people/faces', {
      rawBody: Buffer.alloc(12 * 1024 * 1024 + 10, 0x20),
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    });
    expectFrsError(r, 400, 'FRS.0017');
  });
});

describe('querying, updating and deleting faces', () => {
  let ids: string[];
  beforeEach(async () => {
    await createSet('people', PEOPLE_FIELDS);
    ids = [];
    for (let i = 0; i < 7; i++) {
      const r = await addFace('people', await face(i), {
        external_image_id: i < 2 ? 'twin' : `img-${i}`,
        external_fields: { age: i * 10, name: i % 2 ? 'odd' : 'even', vip: i === 3 },
      });
      ids.push(r.json.faces[0].face_id);
    }
  });

  it('lists with offset/limit in insertion order (default offset 0, limit 5)', async () => {
    const page = await frs(emu, 'GET', '/face-sets/people/faces', {
      query: [
        ['offset', '2'],
        ['limit', '3'],
      ],
    });
    expect(page.status).toBe(200);
    expect(page.json.face_set_name).toBe('people');
    expect(page.json.face_set_id).toBe(emu.state.getFaceSet('people')?.face_set_id);
    expect(page.json.faces.map((f: { face_id: string }) => f.face_id)).toEqual(ids.slice(2, 5));
    expect(page.json.faces[0]).toEqual({
      bounding_box: expect.any(Object),
      external_image_id: 'img-2',
      external_fields: { age: 20, name: 'even', vip: false },
      face_id: ids[2],
    });
    const defaults = await frs(emu, 'GET', '/face-sets/people/faces');
    expect(defaults.json.faces).toHaveLength(5);
    const tail = await frs(emu, 'GET', '/face-sets/people/faces', {
      query: [
        ['offset', '6'],
        ['limit', '10'],
      ],
    });
    expect(tail.json.faces).toHaveLength(1);
  });

  it('caps offset + limit at 10000 (FRS.0012) and validates the numbers', async () => {
    expect(
      (
        await frs(emu, 'GET', '/face-sets/people/faces', {
          query: [
            ['offset', '9990'],
            ['limit', '10'],
          ],
        })
      ).status,
    ).toBe(200);
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', {
        query: [
          ['offset', '9991'],
          ['limit', '10'],
        ],
      }),
      400,
      'FRS.0012',
    );
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', {
        query: [
          ['offset', '0'],
          ['limit', '10001'],
        ],
      }),
      400,
      'FRS.0012',
    );
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', {
        query: [
          ['offset', '-1'],
          ['limit', '10'],
        ],
      }),
      400,
      'FRS.0012',
    );
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', {
        query: [
          ['offset', '0'],
          ['limit', '0'],
        ],
      }),
      400,
      'FRS.0012',
    );
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', {
        query: [
          ['offset', 'a'],
          ['limit', '1'],
        ],
      }),
      400,
      'FRS.0012',
    );
  });

  it('looks a face up by face_id; an unknown id → FRS.0403 (or [] with the quirk)', async () => {
    const r = await frs(emu, 'GET', '/face-sets/people/faces', { query: [['face_id', ids[3] as string]] });
    expect(r.json.faces).toHaveLength(1);
    expect(r.json.faces[0].face_id).toBe(ids[3]);
    expectFrsError(
      await frs(emu, 'GET', '/face-sets/people/faces', { query: [['face_id', 'NoSuchId']] }),
      400,
      'FRS.0403',
    );
    const other = await startFrsEmulator({
      projectId: PROJECT,
      credentials: [{ accessKeyId: AK, secretAccessKey: SK }],
      quirks: { unknownFaceIdQuery: 'empty' },
    });
    try {
      await frs(other, 'POST', '/face-sets', { json: { face_set_name: 's' } });
      const empty = await frs(other, 'GET', '/face-sets/s/faces', { query: [['face_id', 'NoSuchId']] });
      expect(empty.status).toBe(200);
      expect(empty.json.faces).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('PUT updates external_image_id and merges external_fields', async () => {
    const r = await frs(emu, 'PUT', '/face-sets/people/faces', {
      json: { face_id: ids[1], external_image_id: 'renamed', external_fields: { age: 99 } },
    });
    expect(r.json).toEqual({
      face_number: 1,
      face_set_id: emu.state.getFaceSet('people')?.face_set_id,
      face_set_name: 'people',
    });
    const stored = emu.state.faces('people').find((f) => f.face_id === ids[1]);
    expect(stored).toMatchObject({
      external_image_id: 'renamed',
      external_fields: { age: 99, name: 'odd', vip: false },
    });
  });

  it.each([
    ['missing face_id', { external_image_id: 'x' }, 'FRS.0011'],
    ['nothing to update', { face_id: 'PLACEHOLDER' }, 'FRS.0011'],
    ['bad external_image_id', { face_id: 'PLACEHOLDER', external_image_id: 'a/b' }, 'FRS.0012'],
    ['bad field value', { face_id: 'PLACEHOLDER', external_fields: { vip: 'yes' } }, 'FRS.0012'],
    ['undeclared field', { face_id: 'PLACEHOLDER', external_fields: { nope: 1 } }, 'FRS.0402'],
    ['unknown face_id', { face_id: 'NoSuchId', external_image_id: 'x' }, 'FRS.0303'],
  ])('PUT rejects %s', async (_label, body, code) => {
    const json = JSON.parse(JSON.stringify(body).replace('PLACEHOLDER', ids[0] as string));
    expectFrsError(await frs(emu, 'PUT', '/face-sets/people/faces', { json }), 400, code);
  });

  it('the update doc example message for an unknown face id', async () => {
    const r = await frs(emu, 'PUT', '/face-sets/people/faces', {
      json: { face_id: 'NoSuchId', external_fields: { age: 1 } },
    });
    expect(r.json).toEqual({ error_code: 'FRS.0303', error_msg: 'The face id is not exist, checkout your input.' });
  });

  it('DELETE ?face_id= / ?external_image_id= / ?<custom field>= removes the matching faces', async () => {
    const byId = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: [['face_id', ids[6] as string]] });
    expect(byId.json).toEqual({
      face_number: 1,
      face_set_id: emu.state.getFaceSet('people')?.face_set_id,
      face_set_name: 'people',
    });
    const byImage = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: [['external_image_id', 'twin']] });
    expect(byImage.json.face_number).toBe(2);
    const byField = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: [['name', 'odd']] });
    expect(byField.json.face_number).toBe(2); // faces 3 and 5 (1 went with "twin")
    const byBool = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: [['age', '40']] });
    expect(byBool.json.face_number).toBe(1);
    expect(emu.state.faces('people').map((f) => f.face_id)).toEqual([ids[2]]);
  });

  it.each([
    ['no parameter', [], 'FRS.0011'],
    [
      'two parameters',
      [
        ['face_id', 'a'],
        ['name', 'odd'],
      ],
      'FRS.0012',
    ],
    ['an empty value', [['name', '']], 'FRS.0011'],
    ['an unknown face_id', [['face_id', 'NoSuchId']], 'FRS.0403'],
    ['an unknown external_image_id', [['external_image_id', 'ghost']], 'FRS.0402'],
    ['an undeclared field', [['height', '1']], 'FRS.0402'],
    ['a value of the wrong type', [['age', 'old']], 'FRS.0012'],
    ['no face with that value', [['age', '1000']], 'FRS.0401'],
  ])('DELETE by field rejects %s', async (_label, query, code) => {
    const r = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: query as [string, string][] });
    expectFrsError(r, 400, code);
    expect(emu.state.faces('people')).toHaveLength(7);
  });

  it('the documented message for an unknown external_image_id', async () => {
    const r = await frs(emu, 'DELETE', '/face-sets/people/faces', { query: [['external_image_id', 'ghost']] });
    expect(r.json.error_msg).toBe('External id is not exist, can not delete face');
  });

  it('batch delete (DELETE + JSON body) with a filter', async () => {
    const r = await frs(emu, 'DELETE', '/face-sets/people/faces/batch', {
      json: { filter: 'age:[10 TO 30] && (!vip:true)' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      face_number: 2,
      face_set_id: emu.state.getFaceSet('people')?.face_set_id,
      face_set_name: 'people',
    });
    expect(emu.state.faces('people').map((f) => f.external_fields['age'])).toEqual([0, 30, 40, 50, 60]);
    const second = await frs(emu, 'DELETE', '/face-sets/people/faces/batch', {
      json: { filter: 'external_image_id:twin || age:{40 TO 60}' },
    });
    expect(second.json.face_number).toBe(2);
    const none = await frs(emu, 'DELETE', '/face-sets/people/faces/batch', { json: { filter: 'age:[1000 TO *]' } });
    expectFrsError(none, 400, 'FRS.0407');
    expect(none.json.error_msg).toBe('All the data not suitable, no data to be deleted.');
  });

  it.each([
    ['a missing filter', {}, 'FRS.0011'],
    ['an empty filter', { filter: '' }, 'FRS.0011'],
    ['a non-string filter', { filter: 5 }, 'FRS.0012'],
    ['unbalanced parentheses', { filter: '(age:1' }, 'FRS.0012'],
    ['an unparenthesised negation', { filter: '!age:1' }, 'FRS.0012'],
    ['a single &', { filter: 'age:1 & vip:true' }, 'FRS.0012'],
    ['a range without TO', { filter: 'age:[1 20]' }, 'FRS.0012'],
    ['a range on a string field', { filter: 'name:[a TO b]' }, 'FRS.0012'],
    ['a wrongly typed value', { filter: 'age:ten' }, 'FRS.0012'],
    ['a dangling operator', { filter: 'age:1 &&' }, 'FRS.0012'],
    ['an undeclared field', { filter: 'height:1' }, 'FRS.0402'],
  ])('batch delete rejects %s', async (_label, body, code) => {
    expectFrsError(await frs(emu, 'DELETE', '/face-sets/people/faces/batch', { json: body }), 400, code);
    expect(emu.state.faces('people')).toHaveLength(7);
  });
});

describe('filter grammar (parser level)', () => {
  const schema = {
    age: { type: 'integer' as const },
    score: { type: 'double' as const },
    name: { type: 'string' as const },
    vip: { type: 'boolean' as const },
  };
  const faceOf = (age: number, name: string, vip: boolean, score = 0.5) => ({
    external_image_id: `img-${age}`,
    external_fields: { age, name, vip, score },
  });

  it.each([
    'age:1',
    'age:[1 TO 10]',
    'age:{1 TO 10}',
    'age:[1 TO *]',
    'age:[* TO 1]',
    'age:[1 TO 10}',
    'score:[0.5 TO 1.0]',
    'vip:true && name:zhangsan',
    'a:1 || b:2 && c:3',
    '((a:1))',
    '(!a:1)',
    '(!(a:1 || b:2))',
    '  age:1   &&   (!vip:false)  ',
    'number:[1 TO 20] && external_image_id:test',
  ])('parses %s', (text) => {
    expect(() => parseFilter(text)).not.toThrow();
  });

  it.each([
    '',
    '   ',
    'age',
    'age:',
    ':1',
    'age:1 age:2',
    'age:1 &&',
    '|| age:1',
    '!age:1',
    '(!age:1 && b:2)',
    '(age:1',
    'age:1)',
    'age:[1 TO]',
    'age:[1 TO 2',
    'age:[1 to 2]',
    'age:1 | b:2',
    'age:*',
    'a.b:1',
  ])('rejects %j', (text) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
  });

  it('evaluates with && binding tighter than ||, inclusive/exclusive ranges and negation', () => {
    const p = compileFilter('vip:true || age:[10 TO 20} && (!name:bob)', schema);
    expect(p(faceOf(5, 'x', true))).toBe(true);
    expect(p(faceOf(10, 'x', false))).toBe(true);
    expect(p(faceOf(20, 'x', false))).toBe(false);
    expect(p(faceOf(15, 'bob', false))).toBe(false);
    const scores = compileFilter('score:{0.5 TO *]', schema);
    expect(scores(faceOf(1, 'x', false, 0.5))).toBe(false);
    expect(scores(faceOf(1, 'x', false, 0.51))).toBe(true);
    expect(() => compileFilter('age:1.5', schema)).toThrow(FrsError);
    expect(() => compileFilter('age:100L', schema)).toThrow(FrsError);
  });
});

describe('search', () => {
  let ids: string[];
  beforeEach(async () => {
    await createSet('people', PEOPLE_FIELDS);
    ids = [];
    for (let i = 0; i < 5; i++) {
      const r = await addFace('people', await face(i), {
        external_image_id: `p${i}`,
        external_fields: { age: 20 + i, ts: 100 - i, name: i < 3 ? 'staff' : 'guest', vip: i === 0 },
      });
      ids.push(r.json.faces[0].face_id);
    }
  });

  it('finds the same person first with similarity ≈ 1 (re-encoded image), sorted by similarity', async () => {
    const probe = await face(2, 'jpeg', 70); // same picture, other JPEG quality
    const r = await frs(emu, 'POST', '/face-sets/people/search', { json: { image_base64: b64(probe) } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['faces']);
    expect(r.json.faces).toHaveLength(5);
    expect(r.json.faces[0]).toEqual({
      bounding_box: { top_left_x: 60, top_left_y: 60, width: 120, height: 120 },
      external_image_id: 'p2',
      external_fields: { age: 22, ts: 98, name: 'staff', vip: false },
      face_id: ids[2],
      similarity: expect.any(Number),
    });
    expect(r.json.faces[0].similarity).toBeGreaterThan(0.95);
    expect(r.json.faces[0].similarity).toBeLessThanOrEqual(1);
    const sims = r.json.faces.map((f: { similarity: number }) => f.similarity);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(sims[1]).toBeLessThan(0.93);
  });

  it('threshold, top_n, filter and return_fields', async () => {
    const strict = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(4)), threshold: 0.93 },
    });
    expect(strict.json.faces.map((f: { face_id: string }) => f.face_id)).toEqual([ids[4]]);
    const top2 = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(4)), top_n: 2 },
    });
    expect(top2.json.faces).toHaveLength(2);
    const filtered = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(4)), filter: 'name:staff && age:[21 TO *]' },
    });
    expect(filtered.json.faces.map((f: { external_image_id: string }) => f.external_image_id).sort()).toEqual([
      'p1',
      'p2',
    ]);
    const projected = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(0)), top_n: 1, return_fields: ['age'] },
    });
    expect(projected.json.faces[0].external_fields).toEqual({ age: 20 });
  });

  it('sort reorders the hits by numeric fields', async () => {
    const r = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(0)), sort: [{ age: 'desc' }] },
    });
    expect(r.json.faces.map((f: { external_fields: { age: number } }) => f.external_fields.age)).toEqual([
      24, 23, 22, 21, 20,
    ]);
    const asc = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await face(0)), sort: [{ ts: 'asc' }] },
    });
    expect(asc.json.faces.map((f: { external_fields: { ts: number } }) => f.external_fields.ts)).toEqual([
      96, 97, 98, 99, 100,
    ]);
  });

  it('by face_id, by multipart image_file, and the largest face of a group photo', async () => {
    const byId = await frs(emu, 'POST', '/face-sets/people/search', { json: { face_id: ids[3], top_n: 1 } });
    expect(byId.json.faces[0]).toMatchObject({ face_id: ids[3], similarity: 1 });
    const form = multipart(
      { top_n: '1', threshold: '0.5', return_fields: '["name"]' },
      { name: 'image_file', data: await face(1, 'png') },
    );
    const mp = await frs(emu, 'POST', '/face-sets/people/search', {
      rawBody: form.body,
      contentType: form.contentType,
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(mp.status).toBe(200);
    expect(mp.json.faces).toEqual([expect.objectContaining({ face_id: ids[1], external_fields: { name: 'staff' } })]);
    // group tiles use seeds 1.. at 200px: the first (largest, tie → leftmost) tile is person 1's pattern
    const group = await frs(emu, 'POST', '/face-sets/people/search', {
      json: { image_base64: b64(await groupPhoto(3)), top_n: 1 },
    });
    expect(group.status).toBe(200);
    expect(group.json.faces).toHaveLength(1);
  });

  it.each([
    ['no image', async () => ({}), 400, 'FRS.0011'],
    ['two sources', async () => ({ image_base64: b64(await face(1)), face_id: 'abc' }), 400, 'FRS.0012'],
    ['an image without a face', async () => ({ image_base64: b64(await noFace()) }), 400, 'FRS.0304'],
    ['an unknown face_id', async () => ({ face_id: 'NoSuchId' }), 400, 'FRS.0403'],
    ['top_n above 1000', async () => ({ image_base64: b64(await face(1)), top_n: 1001 }), 400, 'FRS.0012'],
    ['a fractional top_n', async () => ({ image_base64: b64(await face(1)), top_n: 1.5 }), 400, 'FRS.0012'],
    ['threshold above 1', async () => ({ image_base64: b64(await face(1)), threshold: 1.2 }), 400, 'FRS.0012'],
    [
      'sort on a string field',
      async () => ({ image_base64: b64(await face(1)), sort: [{ name: 'asc' }] }),
      400,
      'FRS.0032',
    ],
    [
      'sort with a bad order',
      async () => ({ image_base64: b64(await face(1)), sort: [{ age: 'up' }] }),
      400,
      'FRS.0012',
    ],
    ['sort not an array', async () => ({ image_base64: b64(await face(1)), sort: { age: 'asc' } }), 400, 'FRS.0012'],
    ['a malformed filter', async () => ({ image_base64: b64(await face(1)), filter: 'age:[1 TO' }), 400, 'FRS.0012'],
    [
      'an undeclared return field',
      async () => ({ image_base64: b64(await face(1)), return_fields: ['height'] }),
      400,
      'FRS.0402',
    ],
  ])('rejects %s', async (_label, makeBody, status, code) => {
    expectFrsError(await frs(emu, 'POST', '/face-sets/people/search', { json: await makeBody() }), status, code);
  });

  it('the face-set must exist (FRS.0302)', async () => {
    expectFrsError(
      await frs(emu, 'POST', '/face-sets/ghost/search', { json: { image_base64: b64(await face(1)) } }),
      400,
      'FRS.0302',
    );
  });
});

describe('fault injection', () => {
  beforeEach(async () => {
    await createSet('people');
  });

  it('status 429 with FRS.0033 (Retry-After only when asked), scoped to an operation and a count', async () => {
    emu.faults.next({
      kind: 'status',
      status: 429,
      operation: 'searchFaces',
      times: 2,
      headers: { 'Retry-After': '1' },
    });
    expect((await frs(emu, 'GET', '/face-sets')).status).toBe(200); // other operation untouched
    const probe = { json: { image_base64: b64(await face(1)) } };
    for (let i = 0; i < 2; i++) {
      const r = await frs(emu, 'POST', '/face-sets/people/search', probe);
      expectFrsError(r, 429, 'FRS.0033');
      expect(r.headers['retry-after']).toBe('1');
    }
    expect((await frs(emu, 'POST', '/face-sets/people/search', probe)).status).toBe(200);
    emu.faults.next({ kind: 'status', status: 429 });
    expect((await frs(emu, 'GET', '/face-sets')).headers['retry-after']).toBeUndefined();
  });

  it('status 500 / 503 with FRS.0018, a custom body, and apply:true', async () => {
    emu.faults.next({ kind: 'status', status: 500 });
    expectFrsError(await frs(emu, 'GET', '/face-sets'), 500, 'FRS.0018');
    emu.faults.next({ kind: 'status', status: 503, body: { error_code: 'APIGW.0000', error_msg: 'upstream busy' } });
    const custom = await frs(emu, 'GET', '/face-sets');
    expect(custom.status).toBe(503);
    expect(custom.json).toEqual({ error_code: 'APIGW.0000', error_msg: 'upstream busy' });
    emu.faults.next({ kind: 'status', status: 503, operation: 'addFaces', apply: true });
    expectFrsError(await addFace('people', await face(1)), 503, 'FRS.0018');
    expect(emu.state.faces('people')).toHaveLength(1); // the vendor acted although it answered 503
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'status', applied: true, status: 503 });
  });

  it('delay: answers late; by default nothing happens when the client timed out first', async () => {
    emu.faults.next({ kind: 'delay', ms: 150 });
    const t0 = Date.now();
    expect((await frs(emu, 'GET', '/face-sets')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    emu.faults.next({ kind: 'delay', ms: 300, operation: 'createFaceSet' });
    await expect(frs(emu, 'POST', '/face-sets', { json: { face_set_name: 'late' }, timeoutMs: 80 })).rejects.toThrow(
      'client timeout',
    );
    await new Promise((r) => setTimeout(r, 350));
    expect(emu.state.getFaceSet('late')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({
      operation: 'createFaceSet',
      fault: 'delay',
      applied: false,
      status: null,
    });
  });

  it('delay with applyThenDelay: the operation is applied although the client timed out', async () => {
    emu.faults.next({ kind: 'delay', ms: 300, applyThenDelay: true, operation: 'addFaces' });
    await expect(addFaceWithTimeout()).rejects.toThrow('client timeout');
    expect(emu.state.faces('people')).toHaveLength(1);
    expect(emu.requests.at(-1)).toMatchObject({ operation: 'addFaces', applied: true, status: null });
  });
  async function addFaceWithTimeout() {
    return frs(emu, 'POST', '/face-sets/people/faces', { json: { image_base64: b64(await face(2)) }, timeoutMs: 80 });
  }

  it('malformed-json: 200 with a truncated JSON body', async () => {
    emu.faults.next({ kind: 'malformed-json' });
    const r = await frs(emu, 'GET', '/face-sets');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it('drop: the socket is destroyed, optionally after applying the operation', async () => {
    emu.faults.next({ kind: 'drop', operation: 'deleteFaceSet' });
    await expect(frs(emu, 'DELETE', '/face-sets/people')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.getFaceSet('people')).toBeDefined();
    emu.faults.next({ kind: 'drop', apply: true });
    await expect(frs(emu, 'DELETE', '/face-sets/people')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.getFaceSet('people')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'drop', applied: true, status: null });
    expect(emu.faults.pending).toEqual([]);
  });

  it('faults apply only after authentication succeeded; the request log records everything', async () => {
    emu.faults.next({ kind: 'status', status: 500 });
    const refused = await frs(emu, 'GET', '/face-sets', { auth: { token: 'bogus' } });
    expect(refused.status).toBe(401);
    expect(emu.faults.pending).toHaveLength(1);
    expect(emu.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v2/${PROJECT}/face-sets`,
      operation: 'listFaceSets',
      auth: 'token',
      authenticated: false,
      status: 401,
    });
    expect((await frs(emu, 'GET', '/face-sets')).status).toBe(500);
  });
});
