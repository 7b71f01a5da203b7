import { Writable } from 'node:stream';
import { DEFAULT_LIMITS, type FacegraphConfig } from '../../src/server/config';
import { createLogger, describeConfigForLog } from '../../src/server/logger';

function memory(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines, text };
}

const IMAGE = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('createLogger', () => {
  it('redacts credentials, auth headers and image data at any usual depth', () => {
    const out = memory();
    const log = createLogger('info', out.stream);
    log.info(
      {
        providerId: 'hw',
        credentials: { accessKeyId: 'AK-0001', secretAccessKey: 'SK-0001' },
        provider: { id: 'az', credentials: { subscriptionKey: 'AZKEY-0001' } },
        providers: [{ id: 'ali', credentials: { accessKeySecret: 'ALISK-0001' } }],
        req: { method: 'POST', headers: { authorization: 'Bearer TOKEN-0001', 'x-auth-token': 'HWTOKEN-0001' } },
        headers: {
          'ocp-apim-subscription-key': 'AZKEY-0002',
          'X-Auth-Token': 'HWTOKEN-0002',
          Authorization: 'SDK-HMAC-0001',
        },
        variables: { input: { image: { base64: IMAGE } } },
        image: { base64: IMAGE, bytes: Buffer.from('BYTES-0001') },
        body: { image_base64: IMAGE },
        size: { bytes: 4096 },
        password: 'PW-0001',
        token: 'TOKEN-0002',
      },
      'registering face',
    );
    const text = out.text();
    for (const secret of [
      'AK-0001',
      'SK-0001',
      'AZKEY-0001',
      'AZKEY-0002',
      'ALISK-0001',
      'TOKEN-0001',
      'TOKEN-0002',
      'HWTOKEN-0001',
      'HWTOKEN-0002',
      'SDK-HMAC-0001',
      'PW-0001',
      IMAGE,
      'iVBORw0KGgo',
      Buffer.from('BYTES-0001').toString('base64'),
    ]) {
      expect(text).not.toContain(secret);
    }
    const [line] = out.lines();
    expect(line).toMatchObject({
      msg: 'registering face',
      providerId: 'hw',
      credentials: '[Redacted]',
      req: { method: 'POST', headers: { authorization: '[Redacted]' } },
      variables: { input: { image: '[Redacted]' } },
      size: { bytes: 4096 },
    });
  });

  it('keeps error messages and stacks but redacts secrets attached to errors', () => {
    const out = memory();
    const log = createLogger('info', out.stream);
    const err = Object.assign(new Error('vendor said no'), {
      request: { headers: { authorization: 'Bearer ERRTOKEN-0001' } },
    });
    log.error({ err }, 'call failed');
    const [line] = out.lines();
    expect(line.err).toMatchObject({
      type: 'Error',
      message: 'vendor said no',
      request: { headers: { authorization: '[Redacted]' } },
    });
    expect(String((line.err as { stack: string }).stack)).toContain('vendor said no');
    expect(out.text()).not.toContain('ERRTOKEN-0001');
  });

  it('honours the level', () => {
    const out = memory();
    const log = createLogger('warn', out.stream);
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});

describe('describeConfigForLog', () => {
  const config: FacegraphConfig = {
    server: {
      port: 4000,
      host: '127.0.0.1',
      graphiql: true,
      ui: true,
      introspection: true,
      cors: { origins: [] },
      responseCacheBytes: 0,
    },
    ledger: { url: 'postgres://fg:DBPASS-0001@db:5432/fg', poolSize: 10 },
    redis: { url: 'redis://:REDISPW-0001@cache:6379', prefix: 'facegraph:' },
    dataDir: '/data',
    images: {
      maxBytes: 1,
      minSide: 1,
      maxSide: 2,
      urlFetch: { allowList: [], timeoutMs: 1, maxRedirects: 0 },
      keep: 'thumbnail',
      urlTtlSeconds: 300,
      urlSigningKey: 'IMGKEY-0001-0123456789abcdef0123456789',
      thumbnailCacheBytes: 0,
    },
    limits: DEFAULT_LIMITS,
    audit: { retentionDays: 365 },
    log: { level: 'info' },
    faceEngine: {},
    metrics: { enabled: true },
    tracing: {
      enabled: true,
      serviceName: 'fg',
      exporter: 'otlp',
      otlpUrl: 'https://otel:OTLPPW-0001@collector:4318/v1/traces',
    },
    providers: [
      { id: 'local', kind: 'LOCAL' },
      {
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'r',
        projectId: 'p',
        credentials: { username: 'u', password: 'HWPW-0001', domainName: 'd' },
      },
      {
        id: 'az',
        kind: 'AZURE_FACE',
        endpoint: 'https://user:URLPW-0001@az.example.com',
        credentials: { subscriptionKey: 'AZKEY-0001' },
      },
    ],
  };

  it('replaces credentials by their key names and masks URL passwords', () => {
    const described = describeConfigForLog(config);
    expect(described.providers).toEqual([
      { id: 'local', kind: 'LOCAL' },
      {
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'r',
        projectId: 'p',
        credentials: ['username', 'password', 'domainName'],
      },
      { id: 'az', kind: 'AZURE_FACE', endpoint: 'https://user:***@az.example.com', credentials: ['subscriptionKey'] },
    ]);
    expect(described.ledger.url).toBe('postgres://fg:***@db:5432/fg');
    expect(described.tracing.otlpUrl).toBe('https://otel:***@collector:4318/v1/traces');
    expect(described.redis).toEqual({ url: 'redis://:***@cache:6379', prefix: 'facegraph:' });
    expect(described.images.urlSigningKey).toBe('set');
    expect(JSON.stringify(described)).not.toMatch(/HWPW|AZKEY|DBPASS|URLPW|OTLPPW|REDISPW|IMGKEY/);
  });

  it('survives the logger redaction with its key names', () => {
    const out = memory();
    createLogger('info', out.stream).info({ config: describeConfigForLog(config) }, 'starting');
    const [line] = out.lines();
    expect((line.config as { providers: unknown[] }).providers[2]).toMatchObject({ credentials: ['subscriptionKey'] });
    expect(out.text()).not.toMatch(/HWPW|AZKEY|DBPASS|URLPW|REDISPW|IMGKEY/);
    createLogger('info', out.stream).info({ config: { credentials: ['AK-0001', 'SK-0001'] } });
    expect(out.text()).not.toContain('AK-0001');
  });

  it('does not touch the original', () => {
    describeConfigForLog(config);
    expect(config.ledger.url).toContain('DBPASS-0001');
    expect(config.providers[2]).toMatchObject({ credentials: { subscriptionKey: 'AZKEY-0001' } });
  });
});
