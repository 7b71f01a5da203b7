import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, type FacegraphConfig } from '../../src/server/config';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function load(env: NodeJS.ProcessEnv = {}): FacegraphConfig {
  return loadConfig(env, dir);
}

function loadFile(name: string, text: string, env: NodeJS.ProcessEnv = {}): FacegraphConfig {
  return load({ FACEGRAPH_CONFIG: write(name, text), ...env });
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message.split('\n').slice(1)).toEqual((e as ConfigError).issues.map((i) => `  - ${i}`));
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const yamlIssues = (text: string, env: NodeJS.ProcessEnv = {}) => issuesOf(() => loadFile('c.yaml', text, env));

const HUAWEI = `
  - id: hw
    kind: HUAWEI_FRS
    region: cn-north-4
    projectId: "0123"
    credentials: { accessKeyId: "\${HUAWEI_AK}", secretAccessKey: "\${HUAWEI_SK}" }`;

describe('defaults', () => {
  it('with no file gives one LOCAL provider and every default', () => {
    expect(load()).toEqual({
      server: {
        port: 4000,
        host: '127.0.0.1',
        graphiql: true,
        ui: true,
        introspection: true,
        cors: { origins: [] },
        responseCacheBytes: 32 * 1024 * 1024,
      },
      ledger: { url: 'sqlite:./data/facegraph.db', poolSize: 10 },
      dataDir: path.join(dir, 'data'),
      images: {
        maxBytes: 8 * 1024 * 1024,
        minSide: 32,
        maxSide: 8192,
        urlFetch: { allowList: [], timeoutMs: 10000, maxRedirects: 3 },
        decoding: { concurrency: 2, maxWaiting: 32, maxWaitMs: 10000 },
        keep: 'thumbnail',
        urlTtlSeconds: 300,
        thumbnailCacheBytes: 16 * 1024 * 1024,
      },
      limits: {
        maxDepth: 12,
        maxAliases: 30,
        maxTokens: 2000,
        maxDirectives: 50,
        maxCost: 100000,
        expensiveFieldsPerRequest: 5,
        imageUrlFetchesPerRequest: 5,
        requestsPerMinute: 600,
        imageRequestsPerMinute: 1200,
      },
      audit: { retentionDays: 365 },
      log: { level: 'info' },
      faceEngine: {},
      metrics: { enabled: true },
      tracing: {
        enabled: false,
        serviceName: 'facegraph',
        exporter: 'otlp',
        otlpUrl: 'http://localhost:4318/v1/traces',
      },
      providers: [{ id: 'local', kind: 'LOCAL' }],
    });
  });

  it('takes metrics and tracing settings, and refuses unknown exporters', () => {
    const config = loadFile(
      'o.yaml',
      'metrics: { enabled: false }\ntracing: { enabled: true, serviceName: fg-eu, exporter: console }',
    );
    expect(config.metrics).toEqual({ enabled: false });
    expect(config.tracing).toEqual({
      enabled: true,
      serviceName: 'fg-eu',
      exporter: 'console',
      otlpUrl: 'http://localhost:4318/v1/traces',
    });
    const issues = yamlIssues('tracing: { enabled: yes-please, exporter: jaeger, otlpUrl: collector:4318 }');
    expect(issues).toHaveLength(3);
    expect(issues.join('\n')).toMatch(/tracing\.exporter.*otlp, console, memory/);
  });

  it('takes the face engine pool size and queue bound, within their ranges', () => {
    expect(loadFile('e.yaml', 'faceEngine: { workers: 2, maxQueue: 32 }').faceEngine).toEqual({
      workers: 2,
      maxQueue: 32,
    });
    expect(yamlIssues('faceEngine: { workers: 0, queue: 3 }')).toEqual([
      'faceEngine.queue: unknown key; allowed keys are workers, maxQueue',
      'faceEngine.workers: must be an integer 1-16, got 0',
    ]);
  });

  it('takes request limits, filling the ones not given, and refuses values out of range', () => {
    const limits = loadFile('l.yaml', 'limits: { maxDepth: 8, expensiveFieldsPerRequest: "2" }').limits;
    expect(limits).toEqual({ ...load().limits, maxDepth: 8, expensiveFieldsPerRequest: 2 });
    expect(yamlIssues('limits: { maxDepth: 0, maxCost: 1.5, imageUrlFetchesPerRequest: -1, depth: 3 }')).toEqual([
      'limits.depth: unknown key; allowed keys are maxDepth, maxAliases, maxTokens, maxDirectives, maxCost, ' +
        'expensiveFieldsPerRequest, imageUrlFetchesPerRequest, requestsPerMinute, imageRequestsPerMinute',
      'limits.maxDepth: must be an integer 1-1000, got 0',
      'limits.maxCost: must be an integer 1-1000000000, got 1.5',
      'limits.imageUrlFetchesPerRequest: must be an integer 0-1000, got -1',
    ]);
  });

  it('takes the image decoding pool, within its ranges', () => {
    const c = loadFile('d.yaml', 'images: { decoding: { concurrency: 4, maxWaitMs: 2000 } }');
    expect(c.images.decoding).toEqual({ concurrency: 4, maxWaiting: 32, maxWaitMs: 2000 });
    expect(yamlIssues('images: { decoding: { concurrency: 0, maxWaiting: -1, maxWaitMs: 0, size: 2 } }')).toEqual([
      'images.decoding.size: unknown key; allowed keys are concurrency, maxWaiting, maxWaitMs',
      'images.decoding.concurrency: must be an integer 1-64, got 0',
      'images.decoding.maxWaiting: must be an integer 0-10000, got -1',
      'images.decoding.maxWaitMs: must be an integer 1-300000, got 0',
    ]);
  });

  it('takes what is kept of images and how image links are signed, never echoing the signing key', () => {
    const key = 'k'.repeat(40);
    const yaml = 'images: { keep: full, urlTtlSeconds: 60, urlSigningKey: "${IMAGE_KEY}", thumbnailCacheBytes: 0 }';
    const c = loadFile('i.yaml', yaml, { IMAGE_KEY: key });
    expect(c.images).toMatchObject({ keep: 'full', urlTtlSeconds: 60, urlSigningKey: key, thumbnailCacheBytes: 0 });
    const issues = yamlIssues(
      'images: { keep: some, urlTtlSeconds: 0, urlSigningKey: short-secret-value, thumbnailCacheBytes: -1 }',
    );
    expect(issues).toEqual([
      "images.keep: 'some' is not one of thumbnail, full, none",
      'images.urlTtlSeconds: must be an integer 1-604800, got 0',
      'images.urlSigningKey: must be a secret string of at least 32 characters (e.g. openssl rand -base64 48)',
      'images.thumbnailCacheBytes: must be an integer 0-1073741824, got -1',
    ]);
    expect(issues.join('\n')).not.toContain('short-secret-value');
  });

  it('treats an empty FACEGRAPH_CONFIG as no file', () => {
    expect(load({ FACEGRAPH_CONFIG: '' }).providers).toEqual([{ id: 'local', kind: 'LOCAL' }]);
  });

  it('fills defaults for a file that only sets the port, and for empty sections', () => {
    const c = loadFile('c.yaml', 'server: { port: 5000 }\nimages:\nlog:\n');
    expect(c.server).toEqual({
      port: 5000,
      host: '127.0.0.1',
      graphiql: true,
      ui: true,
      introspection: true,
      cors: { origins: [] },
      responseCacheBytes: 32 * 1024 * 1024,
    });
    expect(c.images.urlFetch.maxRedirects).toBe(3);
    expect(c.log.level).toBe('info');
    expect(c.providers).toEqual([{ id: 'local', kind: 'LOCAL' }]);
  });

  it('accepts an empty file', () => {
    expect(loadFile('c.yaml', '').server.port).toBe(4000);
  });
});

describe('environment overrides', () => {
  it('PORT overrides the default port', () => {
    expect(load({ PORT: '8080' }).server.port).toBe(8080);
  });

  it('PORT overrides the port from a file, and an empty PORT is ignored', () => {
    expect(loadFile('c.yaml', 'server: { port: 5000 }', { PORT: '0' }).server.port).toBe(0);
    expect(loadFile('c.yaml', 'server: { port: 5000 }', { PORT: '' }).server.port).toBe(5000);
  });

  it('HOST, LOG_LEVEL and FACEGRAPH_DATA_DIR override too', () => {
    const c = loadFile('c.yaml', 'server: { host: 10.0.0.1 }\nlog: { level: warn }\ndataDir: /srv/x', {
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      FACEGRAPH_DATA_DIR: 'store',
    });
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.log.level).toBe('debug');
    expect(c.dataDir).toBe(path.join(dir, 'store'));
  });

  it('a data directory without a ledger url puts the sqlite file into it', () => {
    expect(load({ FACEGRAPH_DATA_DIR: '/var/lib/fg' }).ledger.url).toBe('sqlite:/var/lib/fg/facegraph.db');
    const c = loadFile('c.yaml', 'ledger: { url: "sqlite:./db/x.db" }', { FACEGRAPH_DATA_DIR: '/var/lib/fg' });
    expect(c.ledger.url).toBe('sqlite:./db/x.db');
  });

  it('a postgres ledger takes the pool size from the file, 10 connections by default', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/facegraph';
    expect(loadFile('c.yaml', `ledger: { url: "${url}" }`).ledger).toEqual({ url, poolSize: 10 });
    expect(loadFile('c.yaml', `ledger: { url: "${url}", poolSize: 25 }`).ledger).toEqual({ url, poolSize: 25 });
    expect(yamlIssues('ledger: { poolSize: 0 }')).toEqual(['ledger.poolSize: must be an integer 1-1000, got 0']);
  });

  it('reports bad override values without printing them', () => {
    const issues = issuesOf(() => load({ PORT: 'http-alt', LOG_LEVEL: 'chatty' }));
    expect(issues).toEqual([
      'server.port: must be an integer 0-65535, got the value of environment variable PORT',
      'log.level: the value of environment variable LOG_LEVEL is not one of fatal, ' +
        'error, warn, info, debug, trace, silent',
    ]);
  });
});

describe('files', () => {
  it('reads the YAML example of the schema contract', () => {
    const c = loadFile(
      'facegraph.yaml',
      `server:   { port: 4000 }
ledger:   { url: "sqlite:./data/facegraph.db" }
providers:
  - { id: local, kind: LOCAL }${HUAWEI}
    endpoint: "https://face.cn-north-4.myhuaweicloud.com"
  - id: az
    kind: AZURE_FACE
    endpoint: "https://myres.cognitiveservices.azure.com"
    credentials: { subscriptionKey: "\${AZURE_FACE_KEY}" }
  - id: ali
    kind: ALIBABA_MTS
    region: cn-shanghai
    endpoint: "https://mts.cn-shanghai.aliyuncs.com"
    credentials: { accessKeyId: "\${ALIBABA_AK}", accessKeySecret: "\${ALIBABA_SK}" }
    rateLimitPerSecond: 5
`,
      { HUAWEI_AK: 'hw-ak', HUAWEI_SK: 'hw-sk', AZURE_FACE_KEY: 'az-key', ALIBABA_AK: 'ali-ak', ALIBABA_SK: 'ali-sk' },
    );
    expect(c.providers).toEqual([
      { id: 'local', kind: 'LOCAL' },
      {
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'cn-north-4',
        projectId: '0123',
        endpoint: 'https://face.cn-north-4.myhuaweicloud.com',
        credentials: { accessKeyId: 'hw-ak', secretAccessKey: 'hw-sk' },
      },
      {
        id: 'az',
        kind: 'AZURE_FACE',
        endpoint: 'https://myres.cognitiveservices.azure.com',
        credentials: { subscriptionKey: 'az-key' },
      },
      {
        id: 'ali',
        kind: 'ALIBABA_MTS',
        region: 'cn-shanghai',
        endpoint: 'https://mts.cn-shanghai.aliyuncs.com',
        credentials: { accessKeyId: 'ali-ak', accessKeySecret: 'ali-sk' },
        rateLimitPerSecond: 5,
      },
    ]);
  });

  it('reads JSON, and a .yml file', () => {
    const json = { server: { port: 4100, graphiql: false }, providers: [{ id: 'a', kind: 'LOCAL' }] };
    const c = loadFile('c.json', JSON.stringify(json));
    expect(c.server).toEqual({
      port: 4100,
      host: '127.0.0.1',
      graphiql: false,
      ui: true,
      introspection: true,
      cors: { origins: [] },
      responseCacheBytes: 32 * 1024 * 1024,
    });
    expect(c.providers).toEqual([{ id: 'a', kind: 'LOCAL' }]);
    expect(loadFile('c.yml', 'server: { port: 4200 }').server.port).toBe(4200);
  });

  it('tries JSON then YAML for other extensions', () => {
    expect(loadFile('c.conf', '{"server": {"port": 4300}}').server.port).toBe(4300);
    expect(loadFile('c.conf', 'server:\n  port: 4400\n').server.port).toBe(4400);
  });

  it('resolves a relative FACEGRAPH_CONFIG and dataDir against cwd', () => {
    write('rel.yaml', 'dataDir: ./images');
    const c = load({ FACEGRAPH_CONFIG: 'rel.yaml' });
    expect(c.dataDir).toBe(path.join(dir, 'images'));
    expect(c.ledger.url).toBe(`sqlite:${path.join(dir, 'images', 'facegraph.db')}`);
  });

  it('names the path of a missing file', () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(issuesOf(() => load({ FACEGRAPH_CONFIG: missing }))).toEqual([
      `FACEGRAPH_CONFIG: config file ${missing} does not exist`,
    ]);
  });

  it('reports a syntax error with its position but not the offending text', () => {
    const [yamlIssue] = yamlIssues('providers:\n  - { id: hw, token: [literal-secret-123\n');
    expect(yamlIssue).toMatch(/^not valid YAML: .*line \d+, column \d+$/);
    const jsonIssues = issuesOf(() => loadFile('c.json', '{"token": literal-secret-123}'));
    expect(jsonIssues[0]).toMatch(/^not valid JSON: /);
    expect([yamlIssue, ...jsonIssues].join()).not.toContain('literal-secret');
  });

  it('rejects a top level that is not a mapping', () => {
    expect(yamlIssues('- a\n- b\n')[0]).toMatch(/top level must be a mapping/);
  });
});

describe('${VAR} expansion', () => {
  it('expands in every string value, with defaults', () => {
    const c = loadFile(
      'c.yaml',
      'server: { host: "${BIND:-::1}", port: "${APP_PORT:-4500}" }\n' +
        'ledger: { url: "sqlite:${DB_DIR}/${DB_NAME:-fg}.db" }\n' +
        'images: { urlFetch: { allowList: ["${EMU_HOST}", "10.0.0.0/8"] } }\n',
      { DB_DIR: '/tmp/db', EMU_HOST: '127.0.0.1', DB_NAME: '' },
    );
    expect(c.server).toEqual({
      host: '::1',
      port: 4500,
      graphiql: true,
      ui: true,
      introspection: true,
      cors: { origins: [] },
      responseCacheBytes: 32 * 1024 * 1024,
    });
    expect(c.ledger.url).toBe('sqlite:/tmp/db/fg.db');
    expect(c.images.urlFetch.allowList).toEqual(['127.0.0.1', '10.0.0.0/8']);
  });

  it('prefers the set variable over the default, and keeps $${ literal', () => {
    const c = loadFile(
      'c.yaml',
      `providers:\n  - { id: "\${PID:-x}", kind: LOCAL }\nledger: { url: "sqlite:./$\${a}.db" }`,
      {
        PID: 'mine',
      },
    );
    expect(c.providers[0].id).toBe('mine');
    expect(c.ledger.url).toBe('sqlite:./${a}.db');
  });

  it('a missing variable names the variable and the key path, and prints no values', () => {
    const issues = yamlIssues(`providers:\n  - { id: local, kind: LOCAL }${HUAWEI}`, { HUAWEI_AK: 'AK-VALUE-0001' });
    expect(issues).toEqual(['providers[1].credentials.secretAccessKey uses ${HUAWEI_SK}, which is not set']);
  });

  it('reports every missing variable, and a malformed reference', () => {
    const issues = yamlIssues(`server: { host: "\${1X}" }\nproviders:${HUAWEI}`);
    expect(issues).toEqual([
      'server.host: has a malformed ${...} reference; use ${NAME} or ${NAME:-default}, or $${ for a literal ${',
      'providers[0].credentials.accessKeyId uses ${HUAWEI_AK}, which is not set',
      'providers[0].credentials.secretAccessKey uses ${HUAWEI_SK}, which is not set',
    ]);
  });

  it('never shows an expanded value in a validation message', () => {
    const issues = yamlIssues('server: { port: "${P}" }\nproviders:\n  - { id: "${ID}", kind: "${KIND}" }', {
      P: 'PORT-SECRET',
      ID: 'ID SECRET',
      KIND: 'KIND-SECRET',
    });
    expect(issues).toEqual([
      'server.port: must be an integer 0-65535, got the value of ${P}',
      'providers[0].kind: the value of ${KIND} is not one of LOCAL, HUAWEI_FRS, AZURE_FACE, ALIBABA_MTS',
    ]);
    expect(issues.join()).not.toMatch(/SECRET/);
  });
});

describe('validation', () => {
  it('rejects unknown keys at every level and lists the allowed ones', () => {
    const issues = yamlIssues(
      'sever: { port: 1 }\nserver: { prot: 1 }\nimages: { urlFetch: { timeout: 5 } }\n' +
        'providers:\n  - { id: l, kind: LOCAL, region: x }',
    );
    expect(issues).toEqual([
      'sever: unknown key; allowed keys are server, ledger, ' +
        'dataDir, images, limits, log, faceEngine, providers, auth, ' +
        'metrics, tracing, audit, redis',
      'server.prot: unknown key; allowed keys are port, host, ' +
        'graphiql, ui, introspection, responseCacheBytes, publicUrl, ' +
        'allowedHosts, cors',
      'images.urlFetch.timeout: unknown key; allowed keys are allowList, timeoutMs, maxRedirects',
      'providers[0].region: unknown key; allowed keys for LOCAL are id, kind',
    ]);
  });

  it('rejects an unknown provider kind', () => {
    expect(yamlIssues('providers:\n  - { id: local, kind: LOCAL }\n  - { id: hw, kind: HUAWEI }')).toEqual([
      "providers[1].kind: 'HUAWEI' is not one of LOCAL, HUAWEI_FRS, AZURE_FACE, ALIBABA_MTS",
    ]);
    expect(yamlIssues('providers:\n  - { id: hw }')).toEqual([
      'providers[0].kind: is required, one of LOCAL, HUAWEI_FRS, AZURE_FACE, ALIBABA_MTS',
    ]);
  });

  it('rejects duplicate and malformed provider ids', () => {
    const issues = yamlIssues(
      'providers:\n  - { id: a, kind: LOCAL }\n  - { id: "b c", kind: LOCAL }\n  - { id: a, kind: LOCAL }\n' +
        `  - { id: "${'x'.repeat(65)}", kind: LOCAL }`,
    );
    expect(issues).toEqual([
      "providers[1].id: 'b c' is not valid: use 1-64 letters, digits, _ or -",
      `providers[3].id: '${'x'.repeat(57)}...' is not valid: use 1-64 letters, digits, _ or -`,
      "providers[2].id: 'a' is already used by providers[0]",
    ]);
  });

  it('needs at least one provider', () => {
    expect(yamlIssues('providers: []')).toEqual(['providers: must have at least 1 item']);
  });

  it('checks ports, numbers, booleans and the ledger url', () => {
    const issues = yamlIssues(
      'server: { port: 70000, graphiql: yes }\nledger: { url: "mysql://x" }\nlog: { level: verbose }\n' +
        'images: { maxBytes: 0, minSide: 64, maxSide: 32, urlFetch: { allowList: "x", maxRedirects: -1 } }',
    );
    expect(issues).toEqual([
      'server.port: must be an integer 0-65535, got 70000',
      "server.graphiql: must be true or false, got 'yes'",
      "ledger.url: 'mysql://x' is not valid: must be 'sqlite:<path>' or 'postgres://...'",
      'images.maxBytes: must be an integer >= 1, got 0',
      "images.urlFetch.allowList: must be a list, got 'x'",
      'images.urlFetch.maxRedirects: must be an integer 0-20, got -1',
      "log.level: 'verbose' is not one of fatal, error, warn, info, debug, trace, silent",
      'images.minSide: must not be larger than images.maxSide (32)',
    ]);
  });

  it('accepts a numeric string port', () => {
    expect(loadFile('c.yaml', 'server: { port: "8081" }').server.port).toBe(8081);
  });

  describe('HUAWEI_FRS', () => {
    const base = 'providers:\n  - { id: hw, kind: HUAWEI_FRS, region: r, projectId: p, credentials: ';

    it.each([
      ['{ accessKeyId: a, secretAccessKey: s }', { accessKeyId: 'a', secretAccessKey: 's' }],
      ['{ token: t }', { token: 't' }],
      ['{ username: u, password: pw, domainName: d }', { username: 'u', password: 'pw', domainName: 'd' }],
    ])('accepts credentials %s', (yaml, credentials) => {
      expect(loadFile('c.yaml', `${base}${yaml} }`).providers[0]).toEqual({
        id: 'hw',
        kind: 'HUAWEI_FRS',
        region: 'r',
        projectId: 'p',
        credentials,
      });
    });

    it('requires region, projectId and credentials', () => {
      expect(yamlIssues('providers:\n  - { id: hw, kind: HUAWEI_FRS }')).toEqual([
        'providers[0].region: is required for HUAWEI_FRS',
        'providers[0].projectId: is required for HUAWEI_FRS',
        'providers[0].credentials: is required for HUAWEI_FRS',
      ]);
    });

    it('rejects mixed, incomplete and empty credentials and bad endpoints', () => {
      const shapes = '{accessKeyId, secretAccessKey}, {token}, {username, password, domainName}';
      expect(yamlIssues(`${base}{ accessKeyId: a, token: t } }`)).toEqual([
        `providers[0].credentials: must hold exactly one of ${shapes}`,
      ]);
      expect(yamlIssues(`${base}{ username: u, password: "" } }`)).toEqual([
        'providers[0].credentials.password: must be a non-empty string (quote numbers in YAML)',
        'providers[0].credentials.domainName: is required',
      ]);
      expect(yamlIssues(`${base}{} , endpoint: "face.example.com", iamEndpoint: "ftp://iam" }`)).toEqual([
        "providers[0].endpoint: must be an http(s) URL, got 'face.example.com'",
        "providers[0].iamEndpoint: must be an http(s) URL, got 'ftp://iam'",
        `providers[0].credentials: must hold exactly one of ${shapes}`,
      ]);
    });

    it('asks to quote a numeric project id', () => {
      expect(
        yamlIssues(
          `providers:\n  - { id: hw, kind: HUAWEI_FRS, region: r, projectId: 123, credentials: { token: t } }`,
        ),
      ).toEqual(['providers[0].projectId: must be a non-empty string, got 123 (quote it in YAML)']);
    });
  });

  describe('AZURE_FACE', () => {
    it('requires an http(s) endpoint and a subscription key', () => {
      expect(yamlIssues('providers:\n  - { id: az, kind: AZURE_FACE }')).toEqual([
        'providers[0].endpoint: is required for AZURE_FACE',
        'providers[0].credentials: is required for AZURE_FACE',
      ]);
      expect(
        yamlIssues(
          'providers:\n  - { id: az, kind: AZURE_FACE, endpoint: "ws://x", ' +
            'credentials: { key: k }, rateLimitPerSecond: 0 }',
        ),
      ).toEqual([
        "providers[0].endpoint: must be an http(s) URL, got 'ws://x'",
        'providers[0].credentials.key: unknown key; allowed keys are subscriptionKey',
        'providers[0].credentials.subscriptionKey: is required',
        'providers[0].rateLimitPerSecond: must be a number > 0, got 0',
      ]);
    });

    it('accepts a valid provider', () => {
      const c = loadFile(
        'c.json',
        JSON.stringify({
          providers: [
            { id: 'az', kind: 'AZURE_FACE', endpoint: 'http://127.0.0.1:9001', credentials: { subscriptionKey: 'k' } },
          ],
        }),
      );
      expect(c.providers[0]).toEqual({
        id: 'az',
        kind: 'AZURE_FACE',
        endpoint: 'http://127.0.0.1:9001',
        credentials: { subscriptionKey: 'k' },
      });
    });
  });

  describe('ALIBABA_MTS', () => {
    it('requires region and both credential keys', () => {
      expect(yamlIssues('providers:\n  - { id: ali, kind: ALIBABA_MTS, credentials: { accessKeyId: a } }')).toEqual([
        'providers[0].region: is required for ALIBABA_MTS',
        'providers[0].credentials.accessKeySecret: is required',
      ]);
    });

    it('accepts a provider without an endpoint', () => {
      const c = loadFile(
        'c.yaml',
        'providers:\n  - { id: ali, kind: ALIBABA_MTS, region: cn-shanghai, ' +
          'credentials: { accessKeyId: a, accessKeySecret: s } }',
      );
      expect(c.providers[0]).toEqual({
        id: 'ali',
        kind: 'ALIBABA_MTS',
        region: 'cn-shanghai',
        credentials: { accessKeyId: 'a', accessKeySecret: 's' },
      });
    });
  });

  it('reports all problems together, secrets never included', () => {
    const issues = yamlIssues(
      `bogus: 1\nserver: { port: -1 }\nproviders:\n  - { id: local, kind: LOCAL }\n` +
        `  - { id: local, kind: AZURE_FACE, endpoint: x, credentials: { subscriptionKey: 12345678 } }${HUAWEI}`,
      { HUAWEI_AK: 'AK-VALUE-0001' },
    );
    expect(issues).toEqual([
      'providers[2].credentials.secretAccessKey uses ${HUAWEI_SK}, which is not set',
      'bogus: unknown key; allowed keys are server, ledger, ' +
        'dataDir, images, limits, log, faceEngine, providers, auth, ' +
        'metrics, tracing, audit, redis',
      'server.port: must be an integer 0-65535, got -1',
      "providers[1].endpoint: must be an http(s) URL, got 'x'",
      'providers[1].credentials.subscriptionKey: must be a non-empty string (quote numbers in YAML)',
      "providers[1].id: 'local' is already used by providers[0]",
    ]);
    expect(issues.join()).not.toMatch(/AK-VALUE|12345678/);
  });
});

describe('production defaults and access settings', () => {
  it(
    'NODE_ENV=production turns GraphiQL, ' + 'the library browser and introspection off unless the file turns them on',
    () => {
      expect(load({ NODE_ENV: 'production' }).server).toMatchObject({
        graphiql: false,
        ui: false,
        introspection: false,
      });
      const file = path.join(dir, 'p.yaml');
      fs.writeFileSync(file, 'server: { graphiql: true, ui: true, introspection: true }');
      expect(load({ NODE_ENV: 'production', FACEGRAPH_CONFIG: file }).server).toMatchObject({
        graphiql: true,
        ui: true,
        introspection: true,
      });
    },
  );

  it('server.ui is on or off by itself, and only true or false', () => {
    const file = path.join(dir, 'ui.yaml');
    fs.writeFileSync(file, 'server: { graphiql: false, ui: true }');
    expect(load({ NODE_ENV: 'production', FACEGRAPH_CONFIG: file }).server).toMatchObject({
      graphiql: false,
      ui: true,
    });
    fs.writeFileSync(file, 'server: { ui: false }');
    expect(load({ FACEGRAPH_CONFIG: file }).server).toMatchObject({ graphiql: true, ui: false });
    fs.writeFileSync(file, 'server: { ui: "on" }');
    expect(() => load({ FACEGRAPH_CONFIG: file })).toThrow("server.ui: must be true or false, got 'on'");
  });

  it('checks auth keys: SHA-256 only, known scopes, configured providers, unique ids', () => {
    const digest = 'a'.repeat(64);
    expect(
      yamlIssues(`auth:
  keys:
    - { id: k1, sha256: "fgk_not_a_digest", scopes: [read] }
    - { id: k1, sha256: "${digest}", scopes: [root], providers: [nowhere] }
  jwt: { issuer: "https://idp/", audience: fg }`),
    ).toEqual([
      'auth.keys[0].sha256: must be the SHA-256 of the key as 64 hex characters, ' +
        'never the key itself (npm run keys prints keys)',
      "auth.keys[1].scopes[0]: 'root' is not one of read, search, write, admin",
      'auth.jwt: give exactly one of jwksUrl or publicKeyPem',
      "auth.keys[1].id: 'k1' is already used by keys[0]",
      "auth.keys[1].providers[0]: 'nowhere' is not a configured provider (local)",
    ]);
  });

  it('refuses a CORS origin that is not scheme://host[:port]', () => {
    expect(yamlIssues('server: { cors: { origins: ["https://app.example.com/path"] } }')).toEqual([
      "server.cors.origins[0]: 'https://app.example.com/path' is not valid: an origin is scheme://host[:port], " +
        'e.g. https://app.example.com',
    ]);
  });
});

describe('redis', () => {
  it('is absent unless configured: each replica keeps its own limits', () => {
    expect(load().redis).toBeUndefined();
  });

  it('takes the schema contract block, with the default key prefix', () => {
    expect(loadFile('c.yaml', 'redis:  { url: "redis://127.0.0.1:6379" }').redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'facegraph:',
    });
    const withPrefix = loadFile('c.yaml', 'redis: { url: "rediss://:${REDIS_PW}@cache:6380/2", prefix: "fg-eu:" }', {
      REDIS_PW: 'RPW-0001',
    });
    expect(withPrefix.redis).toEqual({ url: 'rediss://:RPW-0001@cache:6380/2', prefix: 'fg-eu:' });
  });

  it('refuses a URL that is not redis:// or rediss://, without echoing it, and a prefix with spaces', () => {
    expect(yamlIssues('redis: { url: "http://:RPW-0002@cache:6379" }')).toEqual([
      'redis.url: must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379',
    ]);
    expect(yamlIssues('redis: { prefix: "a b" }')).toEqual([
      'redis.url: is required in redis',
      "redis.prefix: 'a b' is not valid: use 1-64 printable characters without spaces",
    ]);
  });
});
