/**
 * The OSS emulator (tests/emulators/alibaba-oss) over real HTTP: object calls signed by the gateway's signer and
 * by ali-oss@6, presigned URLs, OSS's XML errors, and fault injection.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import OSS from 'ali-oss';
import {
  httpDate,
  ossAuthorization,
  ossObjectUrl,
  presignObjectUrl,
} from '../../src/datasources/vendors/alibaba-mts/oss-signer';
import { startOssEmulator, type OssEmulator } from '../emulators/alibaba-oss';

const CREDENTIALS = { accessKeyId: 'LTAIossEmulator00001', accessKeySecret: 'oss-emulator-secret-0001' };
const BUCKET = 'staging-bucket';

let oss: OssEmulator;
beforeAll(async () => {
  oss = await startOssEmulator({ credentials: [CREDENTIALS], buckets: [BUCKET] });
});
afterAll(() => oss.close());
afterEach(() => {
  oss.faults.clear();
  oss.state.reset();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function call(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.end(body);
  });
}

/** A request signed in the Authorization header, as the gateway signs it. */
function signed(
  method: string,
  key: string,
  options: { body?: Buffer; contentType?: string; date?: Date; credentials?: typeof CREDENTIALS; bucket?: string } = {},
) {
  const bucket = options.bucket ?? BUCKET;
  const headers: Record<string, string> = { date: httpDate(options.date ?? new Date()) };
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.body) headers['content-md5'] = createHash('md5').update(options.body).digest('base64');
  headers['authorization'] = ossAuthorization({ method, bucket, key, headers }, options.credentials ?? CREDENTIALS);
  return call(method, ossObjectUrl(oss.endpoint, 'path', bucket, key).href, headers, options.body);
}

const xml = (a: Answer, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(a.body.toString())?.[1];
const presign = (key: string, expires: number, credentials = CREDENTIALS) =>
  presignObjectUrl({ endpoint: oss.endpoint, addressing: 'path', bucket: BUCKET, key, expires, credentials });
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

describe('objects through header-signed requests', () => {
  test(
    'PUT stores the bytes and type, GET returns them, DELETE removes them; ' + 'every answer has x-oss-request-id',
    async () => {
      const body = Buffer.from('fake jpeg bytes');
      const key = 'facegraph-staging/张 三(1)*.jpg';
      const put = await signed('PUT', key, { body, contentType: 'image/jpeg' });
      expect(put.status).toBe(200);
      expect(put.headers['etag']).toBe(`"${createHash('md5').update(body).digest('hex').toUpperCase()}"`);
      expect(put.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
      expect(oss.state.object(BUCKET, key)).toMatchObject({ body, contentType: 'image/jpeg' });

      const get = await signed('GET', key);
      expect(get).toMatchObject({ status: 200, body });
      expect(get.headers['content-type']).toBe('image/jpeg');

      expect((await signed('DELETE', key)).status).toBe(204);
      expect(oss.state.keys(BUCKET)).toEqual([]);
      expect((await signed('DELETE', key)).status).toBe(204); // deleting a missing object is no error
    },
  );

  test('a missing object is 404 NoSuchKey with OSS XML; HEAD answers without a body', async () => {
    const get = await signed('GET', 'nope.jpg');
    expect(get.status).toBe(404);
    expect(get.headers['content-type']).toBe('application/xml');
    expect(xml(get, 'Code')).toBe('NoSuchKey');
    expect(xml(get, 'RequestId')).toBe(get.headers['x-oss-request-id']);
    const head = await signed('HEAD' as never, 'nope.jpg');
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
  });

  test('an unknown bucket is 404 NoSuchBucket naming it', async () => {
    const put = await signed('PUT', 'a.jpg', { body: Buffer.from('x'), bucket: 'no-such-bucket' });
    expect(put.status).toBe(404);
    expect(xml(put, 'Code')).toBe('NoSuchBucket');
    expect(xml(put, 'BucketName')).toBe('no-such-bucket');
  });

  test(
    'an unknown AccessKey is 403 InvalidAccessKeyId; ' +
      'a wrong secret is 403 SignatureDoesNotMatch with the string to sign',
    async () => {
      const unknown = await signed('PUT', 'a.jpg', {
        body: Buffer.from('x'),
        credentials: { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' },
      });
      expect([unknown.status, xml(unknown, 'Code')]).toEqual([403, 'InvalidAccessKeyId']);
      const wrong = await signed('PUT', 'a.jpg', {
        body: Buffer.from('x'),
        contentType: 'image/jpeg',
        credentials: { ...CREDENTIALS, accessKeySecret: 'wrong' },
      });
      expect([wrong.status, xml(wrong, 'Code')]).toEqual([403, 'SignatureDoesNotMatch']);
      expect(xml(wrong, 'StringToSign')).toMatch(/^PUT\n.+\nimage\/jpeg\n.+\n\/staging-bucket\/a\.jpg$/);
      expect(oss.state.keys(BUCKET)).toEqual([]);
    },
  );

  test('a body that does not match Content-MD5 is 400 InvalidDigest', async () => {
    const headers: Record<string, string> = {
      date: httpDate(new Date()),
      'content-md5': createHash('md5').update('other').digest('base64'),
    };
    headers['authorization'] = ossAuthorization({ method: 'PUT', bucket: BUCKET, key: 'a.jpg', headers }, CREDENTIALS);
    const put = await call('PUT', ossObjectUrl(oss.endpoint, 'path', BUCKET, 'a.jpg').href, headers, Buffer.from('x'));
    expect([put.status, xml(put, 'Code')]).toEqual([400, 'InvalidDigest']);
  });

  test(
    'a Date more than 15 minutes off is 403 RequestTimeTooSkewed; ' + 'no signature at all is 403 AccessDenied',
    async () => {
      const skewed = await signed('GET', 'a.jpg', { date: new Date(Date.now() - 16 * 60_000) });
      expect([skewed.status, xml(skewed, 'Code')]).toEqual([403, 'RequestTimeTooSkewed']);
      const anonymous = await call('GET', ossObjectUrl(oss.endpoint, 'path', BUCKET, 'a.jpg').href);
      expect([anonymous.status, xml(anonymous, 'Code')]).toEqual([403, 'AccessDenied']);
    },
  );
});

describe('presigned URLs', () => {
  beforeEach(() => {
    oss.state.put(BUCKET, 'faces/a b(1).jpg', Buffer.from('image'), 'image/jpeg', new Date());
  });

  test('a presigned GET URL works until Expires', async () => {
    const get = await call('GET', presign('faces/a b(1).jpg', inSeconds(60)));
    expect(get).toMatchObject({ status: 200, body: Buffer.from('image') });
    expect(oss.requests.at(-1)).toMatchObject({ auth: 'query', authenticated: true, operation: 'GetObject' });
  });

  test(
    'an expired URL is 403 AccessDenied "Request has expired."; ' + 'the emulator clock can be moved to get there',
    async () => {
      const url = presign('faces/a b(1).jpg', inSeconds(60));
      oss.clock.advance(61_000);
      try {
        const get = await call('GET', url);
        expect([get.status, xml(get, 'Code'), xml(get, 'Message')]).toEqual([
          403,
          'AccessDenied',
          'Request has expired.',
        ]);
        expect(get.headers['x-oss-request-id']).toBeTruthy();
      } finally {
        oss.clock.advance(-61_000);
      }
    },
  );

  test(
    'a URL signed with a wrong secret, or for another key, is SignatureDoesNotMatch; ' +
      'a wrong AccessKey is InvalidAccessKeyId',
    async () => {
      const wrongSecret = await call(
        'GET',
        presign('faces/a b(1).jpg', inSeconds(60), { ...CREDENTIALS, accessKeySecret: 'wrong' }),
      );
      expect(xml(wrongSecret, 'Code')).toBe('SignatureDoesNotMatch');
      const other = new URL(presign('faces/other.jpg', inSeconds(60)));
      const swapped = await call(
        'GET',
        `${ossObjectUrl(oss.endpoint, 'path', BUCKET, 'faces/a b(1).jpg').href}${other.search}`,
      );
      expect(xml(swapped, 'Code')).toBe('SignatureDoesNotMatch');
      const unknown = await call(
        'GET',
        presign('faces/a b(1).jpg', inSeconds(60), { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' }),
      );
      expect(xml(unknown, 'Code')).toBe('InvalidAccessKeyId');
    },
  );

  test('a URL without all of OSSAccessKeyId, Expires and Signature is refused', async () => {
    const url = new URL(presign('faces/a b(1).jpg', inSeconds(60)));
    url.searchParams.delete('Signature');
    const get = await call('GET', url.href);
    expect([get.status, xml(get, 'Code')]).toEqual([403, 'AccessDenied']);
  });
});

describe('the official client against the emulator', () => {
  test('ali-oss puts, signs a URL for, gets and deletes an object (path-style)', async () => {
    // ali-oss refuses signatureUrl on an IP endpoint: a hostname endpoint that resolves to the emulator
    const endpoint = oss.endpoint.replace('127.0.0.1', 'localhost');
    const client = new OSS({
      ...CREDENTIALS,
      bucket: BUCKET,
      endpoint,
      sldEnable: true,
      secure: false,
      timeout: 5_000,
    });
    const key = 'sdk/张 三 (1)*~+=.png';
    const put = await client.put(key, Buffer.from('png bytes'), { mime: 'image/png' });
    expect(put.res.status).toBe(200);
    expect(oss.state.object(BUCKET, key)?.contentType).toBe('image/png');
    const url = client.signatureUrl(key, { expires: 60 });
    const viaUrl = await call('GET', url.replace('localhost', '127.0.0.1'));
    expect(viaUrl).toMatchObject({ status: 200, body: Buffer.from('png bytes') });
    expect((await client.get(key)).content).toEqual(Buffer.from('png bytes'));
    await client.delete(key);
    expect(oss.state.keys(BUCKET)).toEqual([]);
  });
});

describe('fault injection', () => {
  test(
    'a status fault answers OSS XML with the default code for the status, ' + 'for the named operation only',
    async () => {
      oss.faults.next({ kind: 'status', status: 503, operation: 'PutObject' });
      expect((await signed('GET', 'x.jpg')).status).toBe(404);
      const put = await signed('PUT', 'x.jpg', { body: Buffer.from('x') });
      expect([put.status, xml(put, 'Code')]).toEqual([503, 'ServiceUnavailable']);
      expect(oss.state.keys(BUCKET)).toEqual([]);
      oss.faults.next({ kind: 'status', status: 500, code: 'InternalError', apply: true });
      expect((await signed('PUT', 'x.jpg', { body: Buffer.from('x') })).status).toBe(500);
      expect(oss.state.keys(BUCKET)).toEqual(['x.jpg']);
    },
  );

  test('429, a delay, a malformed answer and a dropped connection', async () => {
    oss.faults.next({ kind: 'status', status: 429 });
    const limited = await signed('GET', 'x.jpg');
    expect([limited.status, xml(limited, 'Code')]).toEqual([429, 'TooManyRequests']);

    oss.faults.next({ kind: 'delay', ms: 300 });
    const started = Date.now();
    expect((await signed('PUT', 'd.jpg', { body: Buffer.from('x') })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);

    oss.faults.next({ kind: 'malformed-json' });
    const malformed = await signed('GET', 'd.jpg');
    expect(malformed.status).toBe(500);
    expect(xml(malformed, 'Code')).toBeUndefined();

    oss.faults.next({ kind: 'drop', apply: true, operation: 'DeleteObject' });
    await expect(signed('DELETE', 'd.jpg')).rejects.toThrow();
    expect(oss.state.keys(BUCKET)).toEqual([]);
    expect(oss.requests.at(-1)).toMatchObject({
      operation: 'DeleteObject',
      status: null,
      fault: 'drop',
      applied: true,
    });
  });

  test('faults are refused for unknown operation names', () => {
    expect(() => oss.faults.next({ kind: 'status', status: 500, operation: 'ListObjects' as never })).toThrow(
      /unknown operation/,
    );
  });
});
