/**
 * The OSS V1 signer of the MTS image staging (src/datasources/vendors/alibaba-mts/oss-signer.ts): the string to
 * sign, URL building, and agreement with ali-oss@6 (the official Node client) on generated object keys, for the
 * Authorization header and for presigned GET URLs.
 */
import OSS from 'ali-oss';
import {
  canonicalizedResource,
  encodeKey,
  httpDate,
  ossAuthorization,
  ossObjectUrl,
  ossPresignStringToSign,
  ossStringToSign,
  presignObjectUrl,
} from '../../src/datasources/vendors/alibaba-mts/oss-signer';

const CREDENTIALS = { accessKeyId: 'LTAIoss0000000000001', accessKeySecret: 'oss-secret-for-signer-tests-0001' };

describe('the V1 string to sign', () => {
  it('is VERB, Content-MD5, Content-Type, Date, the sorted x-oss- headers and /bucket/key', () => {
    const text = ossStringToSign({
      method: 'put',
      bucket: 'staging',
      key: 'faces/张 三(1).jpg',
      headers: {
        'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==',
        'Content-Type': 'image/jpeg',
        Date: 'Thu, 17 Nov 2005 18:49:58 GMT',
        'X-OSS-Meta-Owner': '  facegraph ',
        'x-oss-acl': 'private',
        'User-Agent': 'not signed',
        'Content-Length': '42',
      },
    });
    expect(text).toBe(
      'PUT\neB5eJF1ptWaXm4bijSPyxw==\nimage/jpeg\nThu, 17 Nov 2005 18:49:58 GMT\n' +
        'x-oss-acl:private\nx-oss-meta-owner:facegraph\n/staging/faces/张 三(1).jpg',
    );
  });

  it('puts x-oss-date in the Date slot when it is sent (as ali-oss does), and empty lines for absent headers', () => {
    const text = ossStringToSign({
      method: 'DELETE',
      bucket: 'b-1',
      key: 'k',
      headers: { 'x-oss-date': 'Mon, 01 Jan 2024 00:00:00 GMT', date: 'Tue, 02 Jan 2024 00:00:00 GMT' },
    });
    expect(text).toBe('DELETE\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-oss-date:Mon, 01 Jan 2024 00:00:00 GMT\n/b-1/k');
  });

  it('appends sub-resources sorted, a name without value alone', () => {
    expect(canonicalizedResource('b-1', 'k', { 'response-content-type': 'image/png', acl: null })).toBe(
      '/b-1/k?acl&response-content-type=image/png',
    );
    expect(canonicalizedResource('b-1', 'k')).toBe('/b-1/k');
  });

  it('refuses a header given twice in different letter case', () => {
    expect(() =>
      ossStringToSign({ method: 'GET', bucket: 'b-1', key: 'k', headers: { Date: 'x', date: 'y' } }),
    ).toThrow(/given twice/);
  });

  it('signs with HMAC-SHA1 of the secret: the Authorization changes with any signed part', () => {
    const base = {
      method: 'PUT',
      bucket: 'b-1',
      key: 'k.jpg',
      headers: { 'content-type': 'image/jpeg', date: httpDate(new Date(0)) },
    };
    const auth = ossAuthorization(base, CREDENTIALS);
    expect(auth).toMatch(/^OSS LTAIoss0000000000001:[A-Za-z0-9+/]{27}=$/);
    expect(ossAuthorization({ ...base, key: 'k2.jpg' }, CREDENTIALS)).not.toBe(auth);
    expect(
      ossAuthorization({ ...base, headers: { ...base.headers, 'content-type': 'image/png' } }, CREDENTIALS),
    ).not.toBe(auth);
    expect(ossAuthorization(base, { ...CREDENTIALS, accessKeySecret: 'other' })).not.toBe(auth);
    expect(ossAuthorization({ ...base, headers: { ...base.headers, 'user-agent': 'x' } }, CREDENTIALS)).toBe(auth);
  });
});

describe('object URLs', () => {
  it('are virtual-hosted by default and path-style on request, keys encoded per segment', () => {
    expect(
      ossObjectUrl('https://oss-cn-shanghai.aliyuncs.com', 'virtual-hosted', 'my-bucket', 'a b/c(1)*.jpg').href,
    ).toBe('https://my-bucket.oss-cn-shanghai.aliyuncs.com/a%20b/c%281%29%2A.jpg');
    expect(ossObjectUrl('http://127.0.0.1:4601/', 'path', 'my-bucket', 'faces/é+=.png').href).toBe(
      'http://127.0.0.1:4601/my-bucket/faces/%C3%A9%2B%3D.png',
    );
    expect(encodeKey('a/~b/ c')).toBe('a/~b/%20c');
  });

  it('refuse a key with a "." or ".." segment, which a URL cannot carry', () => {
    expect(() => ossObjectUrl('http://127.0.0.1:9', 'path', 'b-1', 'a/../b.jpg')).toThrow(/segment/);
    expect(() => ossObjectUrl('http://127.0.0.1:9', 'path', 'b-1', 'a/.')).toThrow(/segment/);
    expect(ossObjectUrl('http://127.0.0.1:9', 'path', 'b-1', 'a/.b/..c').pathname).toBe('/b-1/a/.b/..c');
  });

  it('presign a GET with OSSAccessKeyId, Expires and the signature of "GET\\n\\n\\n<Expires>\\n/bucket/key"', () => {
    const url = new URL(
      presignObjectUrl({
        endpoint: 'http://127.0.0.1:9',
        addressing: 'path',
        bucket: 'b-1',
        key: 'x/y.jpg',
        expires: 1700000000,
        credentials: CREDENTIALS,
      }),
    );
    expect(url.pathname).toBe('/b-1/x/y.jpg');
    expect([...url.searchParams.keys()]).toEqual(['OSSAccessKeyId', 'Expires', 'Signature']);
    expect(url.searchParams.get('Expires')).toBe('1700000000');
    expect(ossPresignStringToSign({ method: 'GET', bucket: 'b-1', key: 'x/y.jpg' }, 1700000000)).toBe(
      'GET\n\n\n1700000000\n/b-1/x/y.jpg',
    );
    expect(url.search.split('Signature=')[1]).not.toMatch(/[+/=]/); // the base64 signature travels percent-encoded
  });
});

// ------------------------------------------------------------------------------------------------
// agreement with ali-oss on generated keys

/** mulberry32: a small seeded generator, so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'a',
  'Z',
  '0',
  '-',
  '_',
  '.',
  ' ',
  '/',
  '*',
  '(',
  ')',
  '~',
  '+',
  '=',
  '!',
  "'",
  '&',
  '%',
  '#',
  ',',
  ';',
  '@',
  '张三',
  'é',
  '😀',
  'face',
  'staging/',
];

function generatedKey(next: () => number): string {
  for (;;) {
    let key = 'k';
    const length = 1 + Math.floor(next() * 14);
    for (let i = 0; i < length; i++) key += PIECES[Math.floor(next() * PIECES.length)];
    if (!key.split('/').some((s) => s === '.' || s === '..')) return key; // such keys cannot travel in a URL
  }
}

const ENDPOINT = 'https://oss-cn-hangzhou.aliyuncs.com';
const BUCKET = 'facegraph-staging';
// ali-oss refuses signatureUrl for an IP endpoint: it signs against a hostname endpoint here.
const aliOss = new OSS({ ...CREDENTIALS, bucket: BUCKET, endpoint: ENDPOINT });

describe('agreement with ali-oss@6 on 300 generated object keys', () => {
  const next = random(20240520);
  const keys = Array.from({ length: 300 }, () => generatedKey(next));

  it('covers the awkward characters', () => {
    for (const c of [' ', '/', '*', '(', ')', '~', '+', '=', '张三', '😀'])
      expect(keys.some((k) => k.includes(c))).toBe(true);
  });

  it('gives the same Authorization header as ali-oss for PUT, GET and DELETE', () => {
    keys.forEach((key, i) => {
      const method = ['PUT', 'GET', 'DELETE'][i % 3] as string;
      const headers: Record<string, string> = { 'x-oss-date': new Date(1_700_000_000_000 + i * 997_000).toUTCString() };
      if (method === 'PUT') {
        headers['Content-Type'] = i % 2 ? 'image/jpeg' : 'image/png';
        headers['Content-MD5'] = Buffer.from(key).toString('base64').slice(0, 22) + '==';
        if (i % 5 === 0) headers['x-oss-meta-source'] = `facegraph ${i}`;
      }
      const theirs = aliOss.authorization(
        method,
        aliOss._getResource({ bucket: BUCKET, object: key }),
        undefined,
        headers,
      );
      expect({ key, auth: ossAuthorization({ method, bucket: BUCKET, key, headers }, CREDENTIALS) }).toEqual({
        key,
        auth: theirs,
      });
    });
  });

  it('gives a presigned GET URL for the same object with the same Expires and Signature as signatureUrl', () => {
    for (const key of keys) {
      const theirs = new URL(aliOss.signatureUrl(key, { expires: 300 }));
      const expires = Number(theirs.searchParams.get('Expires'));
      const ours = new URL(
        presignObjectUrl({
          endpoint: ENDPOINT,
          addressing: 'virtual-hosted',
          bucket: BUCKET,
          key,
          expires,
          credentials: CREDENTIALS,
        }),
      );
      expect(ours.origin).toBe(theirs.origin);
      // ali-oss leaves * ( ) ! ' bare in the path where we percent-encode them: the same object either way
      expect({ key, path: decodeURIComponent(ours.pathname) }).toEqual({
        key,
        path: decodeURIComponent(theirs.pathname),
      });
      expect(decodeURIComponent(ours.pathname)).toBe(`/${key}`);
      expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(theirs.searchParams));
    }
  });
});
