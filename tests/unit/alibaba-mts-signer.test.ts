/**
 * The MTS request signers (src/datasources/vendors/alibaba-mts/signer.ts): Alibaba's published examples
 * (notes §7.4), the SDK wire shape (notes §5.3), and agreement with the SDK's own signing helpers
 * (@alicloud/openapi-util: getRPCSignature for V1, getAuthorization for ACS3-HMAC-SHA256) on generated requests.
 */
import { createHash } from 'node:crypto';
import querystring from 'node:querystring';
import OpenApiUtil from '@alicloud/openapi-util';
import {
  EMPTY_BODY_SHA256,
  canonicalQueryV3,
  formatAcsDate,
  percentEncode,
  rpcQueryString,
  signV1,
  signV3,
  signV3Details,
  stringToSignV1,
} from '../../src/datasources/vendors/alibaba-mts/signer';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('percent-encoding (RFC 3986)', () => {
  it('keeps unreserved characters, %20 for space, %2A for *, keeps ~, encodes UTF-8 bytes upper-case', () => {
    expect(percentEncode('AZaz09-_.~')).toBe('AZaz09-_.~');
    expect(percentEncode('a b')).toBe('a%20b');
    expect(percentEncode('*')).toBe('%2A');
    expect(percentEncode("!'()")).toBe('%21%27%28%29');
    expect(percentEncode('+/%=&')).toBe('%2B%2F%25%3D%26');
    expect(percentEncode('张')).toBe('%E5%BC%A0');
    expect(percentEncode('😀')).toBe('%F0%9F%98%80');
    expect(percentEncode('')).toBe('');
  });

  it('formats dates as yyyy-MM-ddTHH:mm:ssZ', () => {
    expect(formatAcsDate(new Date('2024-05-20T08:30:00.789Z'))).toBe('2024-05-20T08:30:00Z');
  });
});

describe('V1 (HMAC-SHA1): published examples', () => {
  it('A: DescribeRegions with testid/testsecret → OLeaidS1JvxuMvnyHOwuJ+uX5qY=', () => {
    const params = signV1(
      { Action: 'DescribeRegions', Format: 'XML', Version: '2014-05-26' },
      { accessKeyId: 'testid', accessKeySecret: 'testsecret' },
      { method: 'GET', now: new Date('2016-02-23T12:46:24Z'), nonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf' },
    );
    expect(params).toEqual({
      Action: 'DescribeRegions',
      Format: 'XML',
      Version: '2014-05-26',
      Timestamp: '2016-02-23T12:46:24Z',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      AccessKeyId: 'testid',
      Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    });
    expect(stringToSignV1(params, 'GET')).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26' +
        'SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26' +
        'SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
  });

  it('C: MTS SearchTemplate with testId/testKeySecret → kmDv4mWo806GWPjQMy2z4VhBBDQ=', () => {
    const params = signV1(
      { Action: 'SearchTemplate', PageSize: '2', Format: 'XML' },
      { accessKeyId: 'testId', accessKeySecret: 'testKeySecret' },
      { method: 'GET', now: new Date('2015-05-14T09:03:45Z'), nonce: '4902260a-516a-4b6a-a455-45b653cf6150' },
    );
    expect(params['Version']).toBe('2014-06-18');
    expect(params['Signature']).toBe('kmDv4mWo806GWPjQMy2z4VhBBDQ=');
  });

  it('defaults: Format=json (what the SDK sends), Version 2014-06-18, a fresh nonce and the current time', () => {
    const a = signV1({ Action: 'ListCustomPersons' }, { accessKeyId: 'ak', accessKeySecret: 'sk' }, { method: 'POST' });
    const b = signV1({ Action: 'ListCustomPersons' }, { accessKeyId: 'ak', accessKeySecret: 'sk' }, { method: 'POST' });
    expect(a).toMatchObject({
      Format: 'json',
      Version: '2014-06-18',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      AccessKeyId: 'ak',
    });
    expect(a['SignatureNonce']).not.toBe(b['SignatureNonce']);
    expect(Math.abs(Date.parse(a['Timestamp'] as string) - Date.now())).toBeLessThan(5000);
    expect(a['Signature']).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('STS: SecurityToken is a signed parameter; the method is part of the string to sign', () => {
    const creds = { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'tok' };
    const fixed = { now: new Date('2024-01-01T00:00:00Z'), nonce: 'n' };
    const get = signV1({ Action: 'X' }, creds, { method: 'GET', ...fixed });
    const post = signV1({ Action: 'X' }, creds, { method: 'POST', ...fixed });
    expect(get['SecurityToken']).toBe('tok');
    expect(get['Signature']).not.toBe(post['Signature']);
    const { Signature, ...rest } = post;
    expect(Signature).toBe(OpenApiUtil.getRPCSignature(rest, 'POST', 'sk'));
  });
});

describe('V3 (ACS3-HMAC-SHA256): published example', () => {
  it('A: RunInstances → hashed canonical request 7ea06492… and signature 06563a9e…', () => {
    const url = new URL(
      'https://ecs.cn-shanghai.aliyuncs.com/' +
        '?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    );
    const details = signV3Details(
      { method: 'POST', url, headers: {}, body: Buffer.alloc(0) },
      { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
      {
        action: 'RunInstances',
        version: '2014-05-26' as '2014-06-18',
        now: new Date('2023-10-26T10:22:32Z'),
        nonce: '3156853299f313e23d1673dc12e1703d',
        credentialsProvider: false,
      },
    );
    expect(sha256(details.canonicalRequest)).toBe('7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    expect(details.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(details.headers).toEqual({
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
      Authorization:
        'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,' +
        'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
        'Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    });
  });
});

describe('V3: the shape the current SDK puts on the wire (notes §5.3)', () => {
  const params = {
    CategoryId: 'CategoryId001',
    ImageUrl:
      'https://example-bucket.oss-cn-shanghai.aliyuncs.com/faces/zhang san(1).jpg?x-oss-process=image/resize,w_500',
    PersonId: 'PersonId001',
    PersonName: '张三 Zhang*San',
  };
  const creds = { accessKeyId: 'testAccessKeyId', accessKeySecret: 'testAccessKeySecret' };
  const opts = {
    action: 'RegisterCustomFace',
    version: '2014-06-18' as const,
    now: new Date('2024-05-20T08:30:00Z'),
    nonce: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  };

  it(
    'signs host, x-acs-action, x-acs-content-sha256 (empty body), ' +
      'x-acs-credentials-provider, x-acs-date, nonce, version',
    () => {
      // the SDK builds the query with querystring.stringify (leaves ( ) * unescaped), exactly as captured
      const wire = `/?${querystring.stringify(params)}`;
      expect(wire).toBe(
        '/?CategoryId=CategoryId001&' +
          'ImageUrl=https%3A%2F%2Fexample-bucket.oss-cn-shanghai.aliyuncs.com%2Ffaces%2F' +
          'zhang%20san(1).jpg%3Fx-oss-process%3Dimage%2Fresize%2Cw_500&' +
          'PersonId=PersonId001&PersonName=%E5%BC%A0%E4%B8%89%20Zhang*San',
      );
      const headers = signV3(
        {
          method: 'POST',
          url: new URL(`https://mts.cn-shanghai.aliyuncs.com${wire}`),
          headers: { accept: 'application/json', 'user-agent': 'x' },
          body: Buffer.alloc(0),
        },
        creds,
        opts,
      );
      expect(Object.keys(headers).sort()).toEqual(
        [
          'Authorization',
          'host',
          'x-acs-action',
          'x-acs-content-sha256',
          'x-acs-credentials-provider',
          'x-acs-date',
          'x-acs-signature-nonce',
          'x-acs-version',
        ].sort(),
      );
      expect(headers['x-acs-credentials-provider']).toBe('static_ak');
      expect(headers['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
      expect(headers['Authorization']).toMatch(
        /^ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/,
      );
      // the same parameters sent strictly encoded give the same signature (the canonical form decodes first)
      const strict = signV3(
        {
          method: 'POST',
          url: new URL(`https://mts.cn-shanghai.aliyuncs.com/?${rpcQueryString(params)}`),
          headers: {},
          body: Buffer.alloc(0),
        },
        creds,
        opts,
      );
      expect(strict['Authorization']).toBe(headers['Authorization']);
      // and the SDK's own helper agrees
      const { Authorization, ...signed } = headers;
      expect(Authorization).toBe(
        OpenApiUtil.getAuthorization(
          { pathname: '/', method: 'POST', query: params, headers: signed } as never,
          'ACS3-HMAC-SHA256',
          EMPTY_BODY_SHA256,
          creds.accessKeyId,
          creds.accessKeySecret,
        ),
      );
    },
  );

  it(
    'STS adds x-acs-accesskey-id and x-acs-security-token; ' +
      'a given content-type and x-acs-* header are signed, others not',
    () => {
      const body = Buffer.from('CategoryId=c1&PersonId=p1');
      const d = signV3Details(
        {
          method: 'POST',
          url: new URL('https://mts.cn-beijing.aliyuncs.com/'),
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'x-acs-retry-attempts': '1',
            'User-Agent': 'ua',
            Accept: 'application/json',
          },
          body,
        },
        { ...creds, securityToken: 'sts-token' },
        opts,
      );
      expect(d.signedHeaders).toBe(
        'content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;' +
          'x-acs-date;x-acs-retry-attempts;x-acs-security-token;x-acs-signature-nonce;x-acs-version',
      );
      expect(d.headers['x-acs-content-sha256']).toBe(sha256(body));
      expect(d.headers['x-acs-security-token']).toBe('sts-token');
    },
  );

  it('host comes from a given Host header, else from the URL (with its port)', () => {
    const a = signV3(
      { method: 'GET', url: new URL('http://127.0.0.1:4600/?A=1'), headers: {}, body: Buffer.alloc(0) },
      creds,
      opts,
    );
    expect(a['host']).toBe('127.0.0.1:4600');
    const b = signV3(
      {
        method: 'GET',
        url: new URL('http://127.0.0.1:4600/?A=1'),
        headers: { Host: 'mts.cn-hangzhou.aliyuncs.com' },
        body: Buffer.alloc(0),
      },
      creds,
      opts,
    );
    expect(b['host']).toBe('mts.cn-hangzhou.aliyuncs.com');
  });

  it('canonical query: sorted, strictly encoded, empty values as "name="', () => {
    expect(canonicalQueryV3(new URLSearchParams('b=2&a=x y&c=&d=*~'))).toBe('a=x%20y&b=2&c=&d=%2A~');
    expect(canonicalQueryV3(new URLSearchParams(''))).toBe('');
  });
});

// ------------------------------------------------------------------------------------------------
// generated comparison with @alicloud/openapi-util

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '  ',
  '/',
  '*',
  '(',
  ')',
  '~',
  '+',
  '%',
  '%20',
  '%2A',
  '!',
  "'",
  '&',
  '=',
  '?',
  '#',
  ',',
  ':',
  ';',
  '@',
  '$',
  '"',
  '{',
  '}',
  '[',
  ']',
  '\\',
  '|',
  '^',
  '`',
  '<',
  '>',
  '-',
  '_',
  '.',
  '\t',
  '张',
  '三',
  '李四',
  'é',
  'ß',
  'Ω',
  '😀',
  '人脸',
  '\u00a0',
];
const JSONISH = [
  '{"faceDetThreshold":0.999,"faceRegThreshold":0.9}',
  '{"finegrainName":"examplName"}',
  '[1,2,"x y"]',
  '{}',
  'null',
];
const URLS = [
  'https://example-bucket.oss-cn-shanghai.aliyuncs.com/faces/zhang san(1).jpg?x-oss-process=image/resize,w_500',
  'http://img.example.com/a+b/%E5%BC%A0.png?sig=abc%2Bdef&t=1~2',
  "https://x.example/p*q(r)~s!t'u",
];
const NAMES = [
  'CategoryId',
  'PersonId',
  'PersonName',
  'PersonDescription',
  'CategoryName',
  'CategoryDescription',
  'ImageUrl',
  'FaceId',
  'OwnerId',
  'ResourceOwnerAccount',
  'Tag.1.Key',
  'Tag.1.Value',
  'a_b',
  'x-y',
  'Z9',
  'lower',
  'UPPER',
];

function makeValue(rand: () => number): string {
  const r = rand();
  if (r < 0.08) return '';
  if (r < 0.16) return JSONISH[Math.floor(rand() * JSONISH.length)] as string;
  if (r < 0.24) return URLS[Math.floor(rand() * URLS.length)] as string;
  if (r < 0.28) return 'ALL';
  let s = '';
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  return s;
}

function makeParams(rand: () => number): Record<string, string> {
  const out: Record<string, string> = {};
  const n = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) out[NAMES[Math.floor(rand() * NAMES.length)] as string] = makeValue(rand);
  return out;
}

type Wire = 'strict' | 'querystring' | 'urlsearchparams';
function wireQuery(params: Record<string, string>, wire: Wire): string {
  if (wire === 'strict') return rpcQueryString(params);
  if (wire === 'querystring') return querystring.stringify(params);
  return new URLSearchParams(params).toString();
}

const SECRETS = ['testsecret', 'sk with space & ünïcödé', 'a+b/c=', 'Zm9v*()~'];

describe('agreement with @alicloud/openapi-util on 300 generated requests', () => {
  const rand = prng(20240520);
  const cases = Array.from({ length: 300 }, (_, i) => ({
    i,
    params: makeParams(rand),
    method: (rand() < 0.5 ? 'GET' : 'POST') as 'GET' | 'POST',
    wire: (['strict', 'querystring', 'urlsearchparams'] as Wire[])[i % 3] as Wire,
    secret: SECRETS[i % SECRETS.length] as string,
    formBody: i % 5 === 4,
    now: new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 1e10)),
    nonce: rand().toString(16).slice(2),
  }));

  it('V1: Signature equals getRPCSignature over the same parameter set, and survives the trip through the wire', () => {
    for (const c of cases) {
      const signed = signV1(
        { Action: 'RegisterCustomFace', ...c.params },
        { accessKeyId: `AK${c.i}`, accessKeySecret: c.secret },
        { method: c.method, now: c.now, nonce: c.nonce },
      );
      const { Signature, ...rest } = signed;
      expect(Signature).toBe(OpenApiUtil.getRPCSignature(rest, c.method, c.secret));
      // what the server decodes from the wire is exactly what was signed
      const decoded = Object.fromEntries(new URLSearchParams(wireQuery(signed, c.wire)));
      expect(decoded).toEqual(signed);
    }
  });

  it('V3: Authorization equals getAuthorization (query parameters, optional form body, unsigned extra headers)', () => {
    for (const c of cases) {
      const url = new URL(`https://mts.cn-shanghai.aliyuncs.com/?${wireQuery(c.params, c.wire)}`);
      const body = c.formBody ? Buffer.from(querystring.stringify({ PersonName: makeValue(rand) })) : Buffer.alloc(0);
      const given: Record<string, string> = {
        accept: 'application/json',
        'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/2',
      };
      if (c.formBody) given['content-type'] = 'application/x-www-form-urlencoded';
      const creds = { accessKeyId: `AK${c.i}`, accessKeySecret: c.secret };
      const headers = signV3({ method: c.method, url, headers: given, body }, creds, {
        action: 'RegisterCustomFace',
        version: '2014-06-18',
        now: c.now,
        nonce: c.nonce,
      });
      const { Authorization, ...added } = headers;
      const payload = sha256(body);
      expect(added['x-acs-content-sha256']).toBe(payload);
      const oracle = OpenApiUtil.getAuthorization(
        { pathname: '/', method: c.method, query: c.params, headers: { ...given, ...added } } as never,
        'ACS3-HMAC-SHA256',
        payload,
        creds.accessKeyId,
        creds.accessKeySecret,
      );
      expect(Authorization).toBe(oracle);
    }
  });
});
