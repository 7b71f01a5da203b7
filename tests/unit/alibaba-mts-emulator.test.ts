/**
 * Drives the Alibaba Cloud MTS emulator (tests/emulators/alibaba-mts) over raw HTTP.
 *
 * Requests are signed with the project's signer (src/datasources/vendors/alibaba-mts/signer.ts), which
 * tests/unit/alibaba-mts-signer.test.ts checks against the SDK's own signing helpers; a few requests are
 * signed with those helpers (@alicloud/openapi-util) directly.
 */
import { createHash, createHmac } from 'node:crypto';
import querystring from 'node:querystring';
import OpenApiUtil from '@alicloud/openapi-util';
import { rpcQueryString, signV1, signV3, signatureV1 } from '../../src/datasources/vendors/alibaba-mts/signer';
import { startMtsEmulator, type MtsEmulator } from '../emulators/alibaba-mts';
import { blackCorner, encode, pattern } from '../support/convention-images';
import { rawRequest, type Reply } from '../support/raw-http';

const AK = 'TestMtsAccessKey0001';
const SECRET = 'test-only-mts-secret-1';
const AK2 = 'TestMtsAccessKey0002';
const SECRET2 = 'test-only-mts-secret-2';
const VERSION = '2014-06-18';

// ------------------------------------------------------------------------------------------------
// raw HTTP

function send(
  emulator: MtsEmulator,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: Buffer | string,
  timeoutMs?: number,
): Promise<Reply> {
  // MTS frames even an empty body (POST with Content-Length: 0).
  return rawRequest(emulator.endpoint, method, pathAndQuery, headers, body ?? '', timeoutMs);
}

interface CallOptions {
  sig?: 'V3' | 'V1';
  method?: 'GET' | 'POST';
  creds?: { accessKeyId: string; accessKeySecret: string };
  now?: Date;
  nonce?: string;
  /** how the query goes on the wire: strict RFC 3986 (default) or the SDK's querystring.stringify */
  wire?: 'strict' | 'sdk';
  /** V1 only: send the parameters as an x-www-form-urlencoded body instead of the query */
  formBody?: boolean;
  /** change the signed request before sending */
  tamper?: (r: { path: string; headers: Record<string, string>; body: string }) => void;
  timeoutMs?: number;
  version?: string;
}

/** Calls an action, signed with the project's signer (V3 by default, as the current SDK). */
async function call(
  emu: MtsEmulator,
  action: string,
  params: Record<string, string> = {},
  o: CallOptions = {},
): Promise<Reply> {
  const method = o.method ?? 'POST';
  const creds = o.creds ?? { accessKeyId: AK, accessKeySecret: SECRET };
  const encode = (p: Record<string, string>): string =>
    o.wire === 'sdk' ? querystring.stringify(p) : rpcQueryString(p);
  const r = { path: '/', headers: {} as Record<string, string>, body: '' };
  if ((o.sig ?? 'V3') === 'V3') {
    r.path = Object.keys(params).length > 0 ? `/?${encode(params)}` : '/';
    const url = new URL(emu.endpoint + r.path);
    r.headers = {
      accept: 'application/json',
      ...signV3({ method, url, headers: {}, body: Buffer.alloc(0) }, creds, {
        action,
        version: (o.version ?? VERSION) as '2014-06-18',
        now: o.now,
        nonce: o.nonce,
      }),
    };
  } else {
    const all = signV1({ Action: action, ...params }, creds, {
      method,
      now: o.now,
      nonce: o.nonce,
      version: o.version,
    });
    if (o.formBody) {
      r.body = encode(all);
      r.headers = { 'content-type': 'application/x-www-form-urlencoded' };
    } else {
      r.path = `/?${encode(all)}`;
    }
  }
  o.tamper?.(r);
  return send(emu, method, r.path, r.headers, r.body, o.timeoutMs);
}

function expectError(reply: Reply, status: number, code: string, message?: string | RegExp): void {
  expect({ status: reply.status, code: reply.json?.Code }).toEqual({ status, code });
  expect(Object.keys(reply.json)).toEqual(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
  expect(reply.json.RequestId).toBe(reply.headers['x-acs-request-id']);
  expect(reply.json.RequestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  expect(reply.json.Recommend).toContain(`q=${code}`);
  if (typeof message === 'string') expect(reply.json.Message).toBe(message);
  else if (message) expect(reply.json.Message).toMatch(message);
}

// ------------------------------------------------------------------------------------------------
// images (the same conventions as the other emulators: 2:1 = several faces, black 8×8 corner = no face)

const URL_FACE = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/zhang san(1).jpg?x-oss-process=image/resize,w_500';
const URL_FACE2 = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/li-si.png';
const URL_NOFACE = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/empty.jpg';
const URL_GROUP = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/group.png';
const URL_GIF = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/anim.gif';
const URL_MISSING = 'https://bucket.oss-cn-shanghai.aliyuncs.com/faces/missing.jpg';

let emu: MtsEmulator;

beforeAll(async () => {
  const images = new Map<string, Buffer>([
    [URL_FACE, await encode(pattern(1, 240, 240), 240, 240, 'jpeg')],
    [URL_FACE2, await encode(pattern(2, 200, 240), 200, 240, 'png')],
    [URL_NOFACE, await encode(blackCorner(pattern(3, 240, 240), 240), 240, 240, 'jpeg')],
    [URL_GROUP, await encode(pattern(4, 400, 200), 400, 200, 'png')],
    [URL_GIF, Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
  ]);
  emu = await startMtsEmulator({
    credentials: [
      { accessKeyId: AK, accessKeySecret: SECRET },
      { accessKeyId: AK2, accessKeySecret: SECRET2 },
    ],
    images,
  });
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.state.reset();
  emu.faults.clear();
  emu.resetAuth();
});

const register = (
  category: string,
  person: string,
  imageUrl = URL_FACE,
  extra: Record<string, string> = {},
  o: CallOptions = {},
) => call(emu, 'RegisterCustomFace', { CategoryId: category, PersonId: person, ImageUrl: imageUrl, ...extra }, o);

// ================================================================================================

describe('signatures', () => {
  it('accepts V3 (the SDK default: POST, parameters in the query, empty body) and logs it', async () => {
    const r = await call(emu, 'ListCustomPersons');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json;charset=utf-8');
    expect(r.json).toEqual({ RequestId: r.headers['x-acs-request-id'], Categories: { Category: [] } });
    expect(emu.requests.at(-1)).toMatchObject({
      action: 'ListCustomPersons',
      status: 200,
      signatureVersion: 'V3',
      accessKeyId: AK,
      authenticated: true,
      applied: true,
    });
  });

  it('accepts V1 over GET and POST, in the query or in a form body', async () => {
    for (const o of [
      { method: 'GET' as const },
      { method: 'POST' as const },
      { method: 'POST' as const, formBody: true },
    ]) {
      const r = await call(emu, 'ListCustomPersons', {}, { sig: 'V1', ...o });
      expect(r.status).toBe(200);
      expect(r.json.Categories).toEqual({ Category: [] });
      expect(emu.requests.at(-1)).toMatchObject({ signatureVersion: 'V1', status: 200 });
    }
  });

  it("accepts the SDK's wire encoding (querystring.stringify leaves ( ) * bare) with both versions", async () => {
    const params = { CategoryId: 'Staff', PersonId: 'p1', ImageUrl: URL_FACE, PersonName: '张三 Zhang*San (主管) ~+%' };
    expect((await register('x', 'y', URL_FACE, {}, { wire: 'sdk' })).status).toBe(200);
    const v3 = await call(emu, 'RegisterCustomFace', params, { wire: 'sdk' });
    expect(v3.status).toBe(200);
    const v1 = await call(emu, 'RegisterCustomFace', params, { wire: 'sdk', sig: 'V1' });
    expect(v1.status).toBe(200);
    expect(emu.state.person('staff', 'P1')?.personName).toBe('张三 Zhang*San (主管) ~+%');
    expect(emu.state.faces('Staff', 'p1').map((f) => f.imageUrl)).toEqual([URL_FACE, URL_FACE]);
  });

  it('accepts requests signed by the official @alicloud/openapi-util helpers (V1 and V3)', async () => {
    const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const v1: Record<string, string> = {
      Action: 'TagCustomPerson',
      Format: 'json',
      Version: VERSION,
      Timestamp: ts,
      SignatureNonce: 'official-v1-nonce',
      CategoryId: 'lib(1)',
      CategoryName: '员工 * 库',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      AccessKeyId: AK,
    };
    v1['Signature'] = OpenApiUtil.getRPCSignature(v1, 'POST', SECRET);
    const r1 = await send(emu, 'POST', `/?${querystring.stringify(v1)}`, {});
    expect(r1.status).toBe(200);

    const query = { CategoryId: 'lib(1)', PersonId: 'p~1', PersonName: 'Zhang San*' };
    const headers: Record<string, string> = {
      host: new URL(emu.endpoint).host,
      'x-acs-version': VERSION,
      'x-acs-action': 'TagCustomPerson',
      'x-acs-date': ts,
      'x-acs-signature-nonce': 'official-v3-nonce',
      accept: 'application/json',
      'x-acs-credentials-provider': 'static_ak',
      'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
    };
    headers['Authorization'] = OpenApiUtil.getAuthorization(
      { pathname: '/', method: 'POST', query, headers } as never,
      'ACS3-HMAC-SHA256',
      headers['x-acs-content-sha256'] as string,
      AK,
      SECRET,
    );
    const r3 = await send(emu, 'POST', `/?${querystring.stringify(query)}`, headers);
    expect(r3.status).toBe(200);
    const list = await call(emu, 'ListCustomPersons');
    expect(list.json.Categories.Category).toEqual([
      {
        CategoryId: 'lib(1)',
        CategoryName: '员工 * 库',
        Persons: { Person: [{ PersonId: 'p~1', PersonName: 'Zhang San*', Faces: { Face: [] } }] },
      },
    ]);
  });

  it('rejects a flipped signature byte: 400 SignatureDoesNotMatch quoting the server string to sign', async () => {
    const flipV3 = await call(
      emu,
      'ListCustomPersons',
      { CategoryId: 'a b' },
      {
        tamper: (r) => {
          r.headers['Authorization'] = (r.headers['Authorization'] as string).replace(
            /Signature=(.)/,
            (_m, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`,
          );
        },
      },
    );
    expectError(
      flipV3,
      400,
      'SignatureDoesNotMatch',
      /^Specified signature is not matched with our calculation\. server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/,
    );
    expect(emu.requests.at(-1)).toMatchObject({
      authenticated: false,
      authFailure: 'signature-mismatch',
      applied: false,
    });
    expect(emu.requests.at(-1)?.canonicalRequest).toContain('CategoryId=a%20b');

    const flipV1 = await call(
      emu,
      'ListCustomPersons',
      { CategoryId: 'a b' },
      {
        sig: 'V1',
        tamper: (r) => {
          r.path = r.path.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`);
        },
      },
    );
    expectError(flipV1, 400, 'SignatureDoesNotMatch', /server string to sign is:POST&%2F&AccessKeyId%3D/);
    // a parameter changed after signing
    const changed = await call(
      emu,
      'ListCustomPersons',
      { CategoryId: 'abc' },
      { tamper: (r) => (r.path = r.path.replace('abc', 'abd')) },
    );
    expectError(changed, 400, 'SignatureDoesNotMatch');
  });

  it(
    'rejects the wrong secret (400 SignatureDoesNotMatch) and ' +
      'an unknown AccessKey (404 InvalidAccessKeyId.NotFound)',
    async () => {
      expectError(
        await call(emu, 'ListCustomPersons', {}, { creds: { accessKeyId: AK, accessKeySecret: 'nope' } }),
        400,
        'SignatureDoesNotMatch',
      );
      for (const sig of ['V3', 'V1'] as const) {
        const r = await call(
          emu,
          'ListCustomPersons',
          {},
          { sig, creds: { accessKeyId: 'NoSuchKey', accessKeySecret: SECRET } },
        );
        expectError(r, 404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
        expect(emu.requests.at(-1)).toMatchObject({ authFailure: 'unknown-ak', accessKeyId: 'NoSuchKey' });
      }
      // the second account works
      expect(
        (await call(emu, 'ListCustomPersons', {}, { creds: { accessKeyId: AK2, accessKeySecret: SECRET2 } })).status,
      ).toBe(200);
    },
  );

  it('rejects a stale (> 15 min) or malformed date with InvalidTimeStamp.*, accepts 14 min of skew', async () => {
    const stale = new Date(Date.now() - 16 * 60 * 1000);
    expectError(await call(emu, 'ListCustomPersons', {}, { now: stale }), 400, 'InvalidTimeStamp.Expired');
    expectError(await call(emu, 'ListCustomPersons', {}, { now: stale, sig: 'V1' }), 400, 'InvalidTimeStamp.Expired');
    expectError(
      await call(emu, 'ListCustomPersons', {}, { now: new Date(Date.now() + 16 * 60 * 1000) }),
      400,
      'InvalidTimeStamp.Expired',
    );
    expect((await call(emu, 'ListCustomPersons', {}, { now: new Date(Date.now() - 14 * 60 * 1000) })).status).toBe(200);
    expectError(
      await call(emu, 'ListCustomPersons', { Timestamp: '2024/01/01 00:00:00' }, { sig: 'V1' }),
      400,
      'InvalidTimeStamp.Format',
    );
  });

  it('refuses a reused signature nonce (SignatureNonceUsed), per AccessKey', async () => {
    expect((await call(emu, 'ListCustomPersons', {}, { nonce: 'n-1' })).status).toBe(200);
    expectError(await call(emu, 'ListCustomPersons', {}, { nonce: 'n-1' }), 400, 'SignatureNonceUsed');
    expectError(await call(emu, 'ListCustomPersons', {}, { nonce: 'n-1', sig: 'V1' }), 400, 'SignatureNonceUsed');
    expect(
      (
        await call(
          emu,
          'ListCustomPersons',
          {},
          { nonce: 'n-1', creds: { accessKeyId: AK2, accessKeySecret: SECRET2 } },
        )
      ).status,
    ).toBe(200);
  });

  it('V3: required headers must be present and signed; the body must match x-acs-content-sha256', async () => {
    const unsignedDate = await call(
      emu,
      'ListCustomPersons',
      {},
      {
        tamper: (r) => {
          r.headers['Authorization'] = (r.headers['Authorization'] as string).replace('x-acs-date;', '');
        },
      },
    );
    expectError(unsignedDate, 400, 'IncompleteSignature', /x-acs-date must be signed/);
    const noNonce = await call(
      emu,
      'ListCustomPersons',
      {},
      { tamper: (r) => delete r.headers['x-acs-signature-nonce'] },
    );
    expectError(noNonce, 400, 'IncompleteSignature', /x-acs-signature-nonce is required/);
    const malformed = await call(
      emu,
      'ListCustomPersons',
      {},
      { tamper: (r) => (r.headers['Authorization'] = 'ACS3-HMAC-SHA256 Credential=x') },
    );
    expectError(malformed, 400, 'IncompleteSignature');
    const sm3 = await call(
      emu,
      'ListCustomPersons',
      {},
      {
        tamper: (r) =>
          (r.headers['Authorization'] = (r.headers['Authorization'] as string).replace(
            'ACS3-HMAC-SHA256',
            'ACS3-HMAC-SM3',
          )),
      },
    );
    expectError(sm3, 400, 'InvalidSignatureMethod');
    const body = await call(
      emu,
      'ListCustomPersons',
      {},
      {
        tamper: (r) => {
          r.body = 'CategoryId=smuggled';
          r.headers['content-type'] = 'application/x-www-form-urlencoded';
        },
      },
    );
    expectError(body, 400, 'IncompleteSignature', /content-type must be signed/);
  });

  it(
    'V3 with a signed form body (UNVERIFIED for MTS) is accepted and its parameters used; ' +
      'a changed body is refused',
    async () => {
      const form = rpcQueryString({ CategoryId: 'formlib', CategoryName: 'From the body' });
      const url = new URL(`${emu.endpoint}/`);
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const signed = signV3(
        { method: 'POST', url, headers, body: Buffer.from(form) },
        { accessKeyId: AK, accessKeySecret: SECRET },
        { action: 'TagCustomPerson', version: VERSION },
      );
      expect((await send(emu, 'POST', '/', { ...headers, ...signed }, form)).status).toBe(200);
      expect(emu.state.category('FORMLIB')?.categoryName).toBe('From the body');
      const signed2 = signV3(
        { method: 'POST', url, headers, body: Buffer.from(form) },
        { accessKeyId: AK, accessKeySecret: SECRET },
        { action: 'TagCustomPerson', version: VERSION },
      );
      expectError(
        await send(emu, 'POST', '/', { ...headers, ...signed2 }, form.replace('body', 'bodY')),
        400,
        'SignatureDoesNotMatch',
        /x-acs-content-sha256/,
      );
    },
  );

  it(
    'V1: signature parameters are checked (method, version, missing fields); ' +
      'no signature at all → MissingSignature',
    async () => {
      const sha256Method = await call(
        emu,
        'ListCustomPersons',
        {},
        { sig: 'V1', tamper: (r) => (r.path = r.path.replace('HMAC-SHA1', 'HMAC-SHA256')) },
      );
      expectError(sha256Method, 400, 'InvalidSignatureMethod');
      const noNonce = await call(
        emu,
        'ListCustomPersons',
        {},
        { sig: 'V1', tamper: (r) => (r.path = r.path.replace(/&SignatureNonce=[^&]*/, '')) },
      );
      expectError(noNonce, 400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
      expectError(
        await send(emu, 'GET', `/?Action=ListCustomPersons&Version=${VERSION}&Format=JSON`, {}),
        400,
        'MissingSignature',
      );
    },
  );

  it('V1 answers XML when Format is absent or XML (the documented default), JSON for Format=JSON', async () => {
    await register('lib', 'p1');
    const xml = await call(emu, 'ListCustomPersons', { Format: 'XML' }, { sig: 'V1' });
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toBe('text/xml;charset=utf-8');
    expect(xml.text).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?><ListCustomPersonsResponse><RequestId>[0-9A-F-]{36}<\/RequestId><Categories><Category><CategoryId>lib<\/CategoryId><Persons><Person><PersonId>p1<\/PersonId><Faces><Face><FaceId>[0-9a-f]{32}<\/FaceId><ImageUrl>https:\/\/bucket[^<]*w_500<\/ImageUrl><\/Face><\/Faces><\/Person><\/Persons><\/Category><\/Categories><\/ListCustomPersonsResponse>$/,
    );
    const xmlError = await call(
      emu,
      'ListCustomPersons',
      { Format: 'XML' },
      { sig: 'V1', creds: { accessKeyId: 'NoSuchKey', accessKeySecret: 'x' } },
    );
    expect(xmlError.status).toBe(404);
    expect(xmlError.text).toMatch(
      /<Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>mts\.cn-shanghai\.aliyuncs\.com<\/HostId><Code>InvalidAccessKeyId\.NotFound<\/Code>/,
    );
    expect(
      (await call(emu, 'ListCustomPersons', { Format: 'JSON' }, { sig: 'V1' })).json.Categories.Category,
    ).toHaveLength(1);
    // no Format at all → XML
    const {
      Format: _omitted,
      Signature: _old,
      ...noFormat
    } = signV1({ Action: 'ListCustomPersons' }, { accessKeyId: AK, accessKeySecret: SECRET }, { method: 'GET' });
    const resigned = { ...noFormat, Signature: signatureV1(noFormat, 'GET', SECRET) };
    const dflt = await send(emu, 'GET', `/?${rpcQueryString(resigned)}`, {});
    expect([dflt.status, dflt.headers['content-type']]).toEqual([200, 'text/xml;charset=utf-8']);
  });

  it('verifies against the strict re-encoding: a client that signs * or ( ) unencoded is refused', async () => {
    const params = signV1(
      { Action: 'TagCustomPerson', CategoryId: 'c', CategoryName: 'a*(b)' },
      { accessKeyId: AK, accessKeySecret: SECRET },
      { method: 'POST' },
    );
    const { Signature: _s, ...unsigned } = params;
    const sloppy = Object.keys(unsigned)
      .sort()
      .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(unsigned[k] as string)}`)
      .join('&');
    const toSign = `POST&%2F&${encodeURIComponent(sloppy)}`;
    const bad = createHmac('sha1', `${SECRET}&`).update(toSign).digest('base64');
    expectError(
      await send(emu, 'POST', `/?${rpcQueryString({ ...unsigned, Signature: bad })}`, {}),
      400,
      'SignatureDoesNotMatch',
      /CategoryName%3Da%252A%2528b%2529/,
    );
    expect((await send(emu, 'POST', `/?${rpcQueryString(params)}`, {})).status).toBe(200);
  });

  it(
    "a query written by URLSearchParams ('+' for a space) is read with '+' as a space, " + 'as the signer reads it',
    async () => {
      const url = new URL(`${emu.endpoint}/`);
      url.searchParams.set('CategoryId', 'a b+c');
      url.searchParams.set('CategoryName', 'x y');
      expect(url.search).toBe('?CategoryId=a+b%2Bc&CategoryName=x+y');
      const headers = signV3(
        { method: 'POST', url, headers: {}, body: Buffer.alloc(0) },
        { accessKeyId: AK, accessKeySecret: SECRET },
        { action: 'TagCustomPerson', version: VERSION },
      );
      expect((await send(emu, 'POST', `/${url.search}`, headers)).status).toBe(200);
      expect(emu.state.category('A B+C')?.categoryName).toBe('x y');
    },
  );
});

describe('API resolution', () => {
  it(
    'unknown or non-face actions, other paths and methods → 404 InvalidApi.NotFound; ' +
      'a wrong Version → InvalidVersion',
    async () => {
      expectError(
        await call(emu, 'CreateCustomGroup', { Algorithm: 'landmark' }),
        404,
        'InvalidApi.NotFound',
        'Specified api is not found, please check your url and method.',
      );
      expectError(await call(emu, 'DeleteCustomPerson'), 404, 'InvalidApi.NotFound');
      expectError(await call(emu, 'ListCustomPersons', {}, { version: '2018-05-28' }), 400, 'InvalidVersion');
      expectError(
        await call(emu, 'ListCustomPersons', {}, { sig: 'V1', version: '2014-05-26' }),
        400,
        'InvalidVersion',
      );
      expectError(
        await call(emu, 'ListCustomPersons', {}, { tamper: (r) => (r.path = '/v1/list') }),
        404,
        'InvalidApi.NotFound',
      );
      expectError(await send(emu, 'DELETE', '/', {}), 404, 'InvalidApi.NotFound');
      expectError(await send(emu, 'GET', '/', {}), 400, 'MissingAction');
    },
  );

  it('the legacy OwnerId / ResourceOwner* parameters are accepted and ignored', async () => {
    expect(
      (
        await call(emu, 'ListCustomPersons', {
          OwnerId: '123',
          OwnerAccount: 'x',
          ResourceOwnerId: '4',
          ResourceOwnerAccount: 'y',
        })
      ).status,
    ).toBe(200);
  });
});

describe('RegisterCustomFace', () => {
  it(
    'returns a 32-hex FaceId and creates the library and the person implicitly; ' + 'PersonName names the person',
    async () => {
      const r = await register('Staff-库', 'Emp001', URL_FACE, { PersonName: '张三' });
      expect(r.status).toBe(200);
      expect(Object.keys(r.json)).toEqual(['RequestId', 'FaceId']);
      expect(r.json.FaceId).toMatch(/^[0-9a-f]{32}$/);
      const person = emu.state.person('staff-库', 'EMP001');
      expect(person).toMatchObject({ personId: 'Emp001', personName: '张三' });
      expect([...(person?.faces.values() ?? [])]).toEqual([{ faceId: r.json.FaceId, imageUrl: URL_FACE }]);
      expect(emu.requests.at(-1)).toMatchObject({ action: 'RegisterCustomFace', applied: true, status: 200 });
    },
  );

  it('CategoryId / PersonId are case-insensitive: the first spelling is kept', async () => {
    await register('Staff', 'Emp001');
    await register('STAFF', 'emp001', URL_FACE2);
    expect(emu.state.categories.size).toBe(1);
    const list = await call(emu, 'ListCustomPersons', { CategoryId: 'staff', PersonId: 'EMP001' });
    expect(list.json.Categories.Category[0]).toMatchObject({
      CategoryId: 'Staff',
      Persons: { Person: [{ PersonId: 'Emp001' }] },
    });
    expect(list.json.Categories.Category[0].Persons.Person[0].Faces.Face).toHaveLength(2);
  });

  it('at most 10 faces per person: the 11th → InvalidParameter "errorMsg:face count exceeds 10"', async () => {
    emu.state.seedFaces('lib', 'p1', 9);
    expect((await register('lib', 'p1')).status).toBe(200);
    expectError(await register('lib', 'p1'), 400, 'InvalidParameter', 'errorMsg:face count exceeds 10');
    expect(emu.state.faces('lib', 'p1')).toHaveLength(10);
    expect(emu.requests.at(-1)).toMatchObject({ applied: false, code: 'InvalidParameter' });
    expect((await register('lib', 'p2')).status).toBe(200); // the limit is per person
  });

  it('exactly one face: none → "errorMsg:no face detected", several → "errorMsg:more than one face"', async () => {
    expectError(await register('lib', 'p1', URL_NOFACE), 400, 'InvalidParameter', 'errorMsg:no face detected');
    expectError(await register('lib', 'p1', URL_GROUP), 400, 'InvalidParameter', 'errorMsg:more than one face');
    expect(emu.state.categories.size).toBe(0); // nothing created by a refused call
  });

  it(
    'ImageUrl: unknown URL → download failure, ' + 'non-http(s) URL and non-JPEG/PNG bytes → InvalidParameter',
    async () => {
      expectError(await register('lib', 'p1', URL_MISSING), 400, 'InvalidParameter', /^errorMsg:download image failed/);
      expectError(await register('lib', 'p1', 'oss://bucket/a.jpg'), 400, 'InvalidParameter', /http or https/);
      expectError(await register('lib', 'p1', URL_GIF), 400, 'InvalidParameter', /unsupported image format/);
      emu.images.set('https://late.example/a.jpg', emu.images.get(URL_FACE) as Buffer);
      expect((await register('lib', 'p1', 'https://late.example/a.jpg')).status).toBe(200); // the images map is live
    },
  );

  it(
    'required parameters → Missing{Param}; ' + 'IDs ≤ 120 characters (code points); PersonId "ALL" is reserved',
    async () => {
      expectError(
        await call(emu, 'RegisterCustomFace', { PersonId: 'p', ImageUrl: URL_FACE }),
        400,
        'MissingCategoryId',
        'CategoryId is mandatory for this action.',
      );
      expectError(
        await call(emu, 'RegisterCustomFace', { CategoryId: 'c', PersonId: '', ImageUrl: URL_FACE }),
        400,
        'MissingPersonId',
      );
      expectError(await call(emu, 'RegisterCustomFace', { CategoryId: 'c', PersonId: 'p' }), 400, 'MissingImageUrl');
      expect((await register('库'.repeat(120), 'p')).status).toBe(200);
      expectError(
        await register('库'.repeat(121), 'p'),
        400,
        'InvalidParameter',
        'errorMsg:CategoryId exceeds 120 characters',
      );
      expectError(
        await register('c', 'x'.repeat(121)),
        400,
        'InvalidParameter',
        'errorMsg:PersonId exceeds 120 characters',
      );
      expectError(await register('c', 'all'), 400, 'InvalidParameter');
      expectError(await register('c', 'p', URL_FACE, { PersonName: 'n'.repeat(513) }), 400, 'InvalidParameter');
    },
  );
});

describe('UnregisterCustomFace', () => {
  let a1: string;
  beforeEach(async () => {
    a1 = (await register('lib', 'a')).json.FaceId;
    await register('lib', 'a', URL_FACE2);
    await register('lib', 'b');
    await register('other', 'c');
  });

  it('one face by FaceId (case-insensitive), leaving the person', async () => {
    const r = await call(emu, 'UnregisterCustomFace', { CategoryId: 'LIB', PersonId: 'A', FaceId: a1.toUpperCase() });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ RequestId: r.headers['x-acs-request-id'] });
    expect(emu.state.faces('lib', 'a').map((f) => f.imageUrl)).toEqual([URL_FACE2]);
  });

  it(
    'FaceId=ALL removes every face of the person (and the person); ' + 'PersonId=ALL removes the whole library',
    async () => {
      expect(
        (await call(emu, 'UnregisterCustomFace', { CategoryId: 'lib', PersonId: 'a', FaceId: 'ALL' })).status,
      ).toBe(200);
      expect(emu.state.person('lib', 'a')).toBeUndefined();
      expect(emu.state.faces('lib', 'b')).toHaveLength(1);
      expect(
        (await call(emu, 'UnregisterCustomFace', { CategoryId: 'lib', PersonId: 'ALL', FaceId: 'ALL' })).status,
      ).toBe(200);
      expect(emu.state.category('lib')).toBeUndefined();
      expect(emu.state.faces('other', 'c')).toHaveLength(1);
    },
  );

  it('unknown library / person / face → InvalidParameter; all three parameters are required', async () => {
    expectError(
      await call(emu, 'UnregisterCustomFace', { CategoryId: 'nope', PersonId: 'a', FaceId: 'ALL' }),
      400,
      'InvalidParameter',
      /category "nope" does not exist/,
    );
    expectError(
      await call(emu, 'UnregisterCustomFace', { CategoryId: 'lib', PersonId: 'zz', FaceId: 'ALL' }),
      400,
      'InvalidParameter',
      /person "zz"/,
    );
    expectError(
      await call(emu, 'UnregisterCustomFace', { CategoryId: 'lib', PersonId: 'a', FaceId: 'f'.repeat(32) }),
      400,
      'InvalidParameter',
      /face "f+" does not exist/,
    );
    expectError(await call(emu, 'UnregisterCustomFace', { CategoryId: 'lib', PersonId: 'a' }), 400, 'MissingFaceId');
  });

  it('quirk unknownOnUnregister=ignore: unknown ids succeed silently', async () => {
    const lenient = await startMtsEmulator({
      credentials: [{ accessKeyId: AK, accessKeySecret: SECRET }],
      quirks: { unknownOnUnregister: 'ignore' },
    });
    try {
      expect(
        (await call(lenient, 'UnregisterCustomFace', { CategoryId: 'nope', PersonId: 'a', FaceId: 'b' })).status,
      ).toBe(200);
    } finally {
      await lenient.close();
    }
  });
});

describe('ListCustomPersons', () => {
  beforeEach(async () => {
    await register('Lib1', 'P1', URL_FACE, { PersonName: 'Zhang' });
    await register('Lib1', 'P2', URL_FACE2);
    await register('Lib2', 'P1', URL_FACE);
  });

  it(
    'without filters: every library, person and face, ' + 'in creation order, in the Categories.Category[] wrappers',
    async () => {
      const r = await call(emu, 'ListCustomPersons');
      expect(Object.keys(r.json)).toEqual(['RequestId', 'Categories']);
      const cats = r.json.Categories.Category;
      expect(cats.map((c: any) => c.CategoryId)).toEqual(['Lib1', 'Lib2']);
      expect(cats[0].Persons.Person.map((p: any) => p.PersonId)).toEqual(['P1', 'P2']);
      expect(cats[0].Persons.Person[0]).toEqual({
        PersonId: 'P1',
        PersonName: 'Zhang',
        Faces: { Face: [{ FaceId: expect.stringMatching(/^[0-9a-f]{32}$/), ImageUrl: URL_FACE }] },
      });
      expect(cats[0].Persons.Person[1]).not.toHaveProperty('PersonName'); // never named → left out
      expect(cats[0]).not.toHaveProperty('CategoryName');
    },
  );

  it('filters by CategoryId, by PersonId (across libraries), by both; unknown → an empty list', async () => {
    const byCat = await call(emu, 'ListCustomPersons', { CategoryId: 'lib2' });
    expect(byCat.json.Categories.Category.map((c: any) => c.CategoryId)).toEqual(['Lib2']);
    const byPerson = await call(emu, 'ListCustomPersons', { PersonId: 'p1' });
    expect(
      byPerson.json.Categories.Category.map((c: any) => [c.CategoryId, c.Persons.Person.map((p: any) => p.PersonId)]),
    ).toEqual([
      ['Lib1', ['P1']],
      ['Lib2', ['P1']],
    ]);
    const both = await call(emu, 'ListCustomPersons', { CategoryId: 'LIB1', PersonId: 'P2' });
    expect(both.json.Categories.Category[0].Persons.Person).toHaveLength(1);
    expect((await call(emu, 'ListCustomPersons', { CategoryId: 'ghost' })).json).toMatchObject({
      Categories: { Category: [] },
    });
    expect((await call(emu, 'ListCustomPersons', { CategoryId: 'lib1', PersonId: 'ghost' })).json).toMatchObject({
      Categories: { Category: [] },
    });
  });
});

describe('TagCustomPerson', () => {
  it('sets library and person names and descriptions, shown by ListCustomPersons', async () => {
    await register('lib', 'p1');
    const r = await call(emu, 'TagCustomPerson', {
      CategoryId: 'LIB',
      CategoryName: '员工库',
      CategoryDescription: 'staff',
      PersonId: 'P1',
      PersonName: '张三',
      PersonDescription: 'CEO (interim)*',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ RequestId: r.headers['x-acs-request-id'] });
    const cat = (await call(emu, 'ListCustomPersons')).json.Categories.Category[0];
    expect(cat).toMatchObject({ CategoryId: 'lib', CategoryName: '员工库', CategoryDescription: 'staff' });
    expect(cat.Persons.Person[0]).toMatchObject({
      PersonId: 'p1',
      PersonName: '张三',
      PersonDescription: 'CEO (interim)*',
    });
    // only what is given changes
    await call(emu, 'TagCustomPerson', { CategoryId: 'lib', PersonId: 'p1', PersonName: 'Zhang San' });
    expect(emu.state.person('lib', 'p1')).toMatchObject({
      personName: 'Zhang San',
      personDescription: 'CEO (interim)*',
    });
  });

  it(
    'unknown library or person is created (default); ' + 'a PersonId alone must name a person of exactly one library',
    async () => {
      expect(
        (
          await call(emu, 'TagCustomPerson', {
            CategoryId: 'new',
            CategoryName: 'New',
            PersonId: 'np',
            PersonName: 'N',
          })
        ).status,
      ).toBe(200);
      expect(emu.state.person('new', 'np')).toMatchObject({ personName: 'N', faces: new Map() });
      expect((await call(emu, 'TagCustomPerson', { PersonId: 'NP', PersonDescription: 'found' })).status).toBe(200);
      expect(emu.state.person('new', 'np')?.personDescription).toBe('found');
      expectError(
        await call(emu, 'TagCustomPerson', { PersonId: 'ghost', PersonName: 'x' }),
        400,
        'InvalidParameter',
        /does not exist/,
      );
      await call(emu, 'TagCustomPerson', { CategoryId: 'new2', PersonId: 'np' });
      expectError(
        await call(emu, 'TagCustomPerson', { PersonId: 'np', PersonName: 'x' }),
        400,
        'InvalidParameter',
        /several categories/,
      );
    },
  );

  it('validation: one of the IDs, the ID for names, ≤ 512 characters; nothing changes on refusal', async () => {
    expectError(
      await call(emu, 'TagCustomPerson', {}),
      400,
      'InvalidParameter',
      'errorMsg:CategoryId or PersonId is required',
    );
    expectError(
      await call(emu, 'TagCustomPerson', { PersonId: 'p', CategoryName: 'x' }),
      400,
      'InvalidParameter',
      /CategoryId is required/,
    );
    expectError(
      await call(emu, 'TagCustomPerson', { CategoryId: 'c', PersonName: 'x' }),
      400,
      'InvalidParameter',
      /PersonId is required/,
    );
    expect((await call(emu, 'TagCustomPerson', { CategoryId: 'c', CategoryName: '名'.repeat(512) })).status).toBe(200);
    expectError(
      await call(emu, 'TagCustomPerson', { CategoryId: 'd', CategoryName: 'x'.repeat(513) }),
      400,
      'InvalidParameter',
      'errorMsg:CategoryName exceeds 512 characters',
    );
    expect(emu.state.category('d')).toBeUndefined();
  });

  it('quirk unknownOnTag=error refuses unknown ids', async () => {
    const strict = await startMtsEmulator({
      credentials: [{ accessKeyId: AK, accessKeySecret: SECRET }],
      quirks: { unknownOnTag: 'error' },
    });
    try {
      expectError(
        await call(strict, 'TagCustomPerson', { CategoryId: 'x', CategoryName: 'y' }),
        400,
        'InvalidParameter',
        /category "x" does not exist/,
      );
    } finally {
      await strict.close();
    }
  });
});

describe('throttling', () => {
  it('over qpsLimit requests per second per AccessKey and Action → 400 Throttling.User', async () => {
    let t = Date.now();
    const small = await startMtsEmulator({
      credentials: [{ accessKeyId: AK, accessKeySecret: SECRET }],
      qpsLimit: 2,
      now: () => t,
    });
    try {
      expect((await call(small, 'ListCustomPersons')).status).toBe(200);
      expect((await call(small, 'ListCustomPersons')).status).toBe(200);
      expectError(
        await call(small, 'ListCustomPersons'),
        400,
        'Throttling.User',
        'Request was denied due to user flow control.',
      );
      expect((await call(small, 'TagCustomPerson', { CategoryId: 'c' })).status).toBe(200); // another action
      t += 1000;
      expect((await call(small, 'ListCustomPersons', {}, { now: new Date(t) })).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('fault injection', () => {
  it(
    'status faults: default POP bodies per status, another code, headers; ' + 'scoped to an Action and a count',
    async () => {
      emu.faults.next({
        kind: 'status',
        status: 400,
        operation: 'RegisterCustomFace',
        times: 2,
        headers: { 'x-acs-retry-after': '1000' },
      });
      expect((await call(emu, 'ListCustomPersons')).status).toBe(200); // other action untouched
      for (let i = 0; i < 2; i++) {
        const r = await register('lib', 'p1');
        expectError(r, 400, 'Throttling.User', 'Request was denied due to user flow control.');
        expect(r.headers['x-acs-retry-after']).toBe('1000');
      }
      expect((await register('lib', 'p1')).status).toBe(200);
      emu.faults.next({ kind: 'status', status: 500 });
      expectError(await call(emu, 'ListCustomPersons'), 500, 'InternalError');
      emu.faults.next({ kind: 'status', status: 503 });
      expectError(await call(emu, 'ListCustomPersons'), 503, 'ServiceUnavailable');
      emu.faults.next({ kind: 'status', status: 403 });
      expectError(await call(emu, 'ListCustomPersons'), 403, 'Forbidden.RAM');
      emu.faults.next({ kind: 'status', status: 400, code: 'Throttling.Api' });
      expectError(
        await call(emu, 'ListCustomPersons'),
        400,
        'Throttling.Api',
        'Request was denied due to api flow control.',
      );
      expect(() => emu.faults.next({ kind: 'status', status: 500, operation: 'DeleteCustomPerson' })).toThrow(
        /unknown operation/,
      );
    },
  );

  it(
    'a custom body is sent as given (RequestId, HostId, ' +
      'Recommend filled in for a POP-style error); apply:true runs the action',
    async () => {
      emu.faults.next({
        kind: 'status',
        status: 400,
        body: { Code: 'Throttling.User', Message: 'custom' },
        operation: 'RegisterCustomFace',
        apply: true,
      });
      const r = await register('lib', 'p1');
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({
        RequestId: r.headers['x-acs-request-id'],
        HostId: 'mts.cn-shanghai.aliyuncs.com',
        Code: 'Throttling.User',
        Message: 'custom',
      });
      expect(emu.state.faces('lib', 'p1')).toHaveLength(1); // the vendor acted although it answered 400
      expect(emu.requests.at(-1)).toMatchObject({
        fault: 'status',
        applied: true,
        status: 400,
        code: 'Throttling.User',
      });
      emu.faults.next({ kind: 'status', status: 502, body: 'Bad Gateway' });
      const raw = await call(emu, 'ListCustomPersons');
      expect([raw.status, raw.text]).toEqual([502, 'Bad Gateway']);
    },
  );

  it('delay: answers late; by default nothing happens when the client timed out first', async () => {
    emu.faults.next({ kind: 'delay', ms: 150 });
    const t0 = Date.now();
    expect((await call(emu, 'ListCustomPersons')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    emu.faults.next({ kind: 'delay', ms: 300, operation: 'RegisterCustomFace' });
    await expect(register('late', 'p1', URL_FACE, {}, { timeoutMs: 80 })).rejects.toThrow('client timeout');
    await new Promise((r) => setTimeout(r, 350));
    expect(emu.state.category('late')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({
      action: 'RegisterCustomFace',
      fault: 'delay',
      applied: false,
      status: null,
    });
  });

  it('delay with applyThenDelay: the face is registered although the client timed out', async () => {
    emu.faults.next({ kind: 'delay', ms: 300, applyThenDelay: true, operation: 'RegisterCustomFace' });
    await expect(register('lib', 'p1', URL_FACE, {}, { timeoutMs: 80 })).rejects.toThrow('client timeout');
    expect(emu.state.faces('lib', 'p1')).toHaveLength(1);
    expect(emu.requests.at(-1)).toMatchObject({ applied: true, status: null });
  });

  it('malformed-json: 200 with a truncated JSON body', async () => {
    emu.faults.next({ kind: 'malformed-json' });
    const r = await call(emu, 'ListCustomPersons');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it('drop: the socket is destroyed, optionally after applying the action', async () => {
    await register('lib', 'p1');
    emu.faults.next({ kind: 'drop', operation: 'UnregisterCustomFace' });
    const del = { CategoryId: 'lib', PersonId: 'ALL', FaceId: 'ALL' };
    await expect(call(emu, 'UnregisterCustomFace', del)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.category('lib')).toBeDefined();
    emu.faults.next({ kind: 'drop', apply: true });
    await expect(call(emu, 'UnregisterCustomFace', del)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.category('lib')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'drop', applied: true, status: null });
    expect(emu.faults.pending).toEqual([]);
  });

  it('faults apply only after authentication succeeded', async () => {
    emu.faults.next({ kind: 'status', status: 500 });
    expectError(
      await call(emu, 'ListCustomPersons', {}, { creds: { accessKeyId: AK, accessKeySecret: 'bad' } }),
      400,
      'SignatureDoesNotMatch',
    );
    expect(emu.faults.pending).toHaveLength(1);
    expect((await call(emu, 'ListCustomPersons')).status).toBe(500);
  });
});
