import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, type AlibabaMtsProviderConfig } from '../../src/server/config';
import { describeConfigForLog } from '../../src/server/logger';

// `imageStaging` of an ALIBABA_MTS provider: the loader's rules (unknown keys, ${VAR}, defaults, named errors).

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-staging-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(staging: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(
    file,
    `providers:\n  - id: ali\n    kind: ALIBABA_MTS\n    region: cn-shanghai\n` +
      `    credentials: { accessKeyId: a, accessKeySecret: s }\n    imageStaging: ${staging}\n`,
  );
  return loadConfig({ FACEGRAPH_CONFIG: file, ...env }, dir);
}

function issues(staging: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load(staging, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const VALID =
  '{ endpoint: "https://oss-cn-shanghai.aliyuncs.com", bucket: my-staging-1, ' +
  'accessKeyId: "${OSS_AK}", accessKeySecret: "${OSS_SK}"';
const ENV = { OSS_AK: 'LTAIstaging', OSS_SK: 'staging-secret-value' };

describe('imageStaging on an ALIBABA_MTS provider', () => {
  it('fills the defaults: prefix facegraph-staging/, a 300 s URL lifetime, virtual-hosted addressing', () => {
    const staging = (load(`${VALID} }`, ENV).providers[0] as AlibabaMtsProviderConfig).imageStaging!;
    expect(staging).toEqual({
      endpoint: 'https://oss-cn-shanghai.aliyuncs.com',
      bucket: 'my-staging-1',
      accessKeyId: 'LTAIstaging',
      accessKeySecret: 'staging-secret-value',
      prefix: 'facegraph-staging/',
      urlExpiresSeconds: 300,
      addressing: 'virtual-hosted',
    });
  });

  it('takes path addressing, an IP endpoint, an empty prefix and a lifetime within 10-3600 s', () => {
    const staging = (
      load(
        '{ endpoint: "http://127.0.0.1:4601", bucket: abc, accessKeyId: a, ' +
          'accessKeySecret: s, addressing: path, prefix: "", urlExpiresSeconds: 3600 }',
      ).providers[0] as AlibabaMtsProviderConfig
    ).imageStaging!;
    expect(staging).toMatchObject({
      endpoint: 'http://127.0.0.1:4601',
      addressing: 'path',
      prefix: '',
      urlExpiresSeconds: 3600,
    });
  });

  it('a missing accessKeySecret stops the start and names it, whether absent or an unset variable', () => {
    expect(issues('{ endpoint: "https://oss-cn-shanghai.aliyuncs.com", bucket: abc, accessKeyId: a }')).toEqual([
      'providers[0].imageStaging.accessKeySecret: is required in imageStaging',
    ]);
    expect(issues(`${VALID} }`, { OSS_AK: 'x' })).toEqual([
      'providers[0].imageStaging.accessKeySecret uses ${OSS_SK}, which is not set',
    ]);
  });

  it('refuses bucket names OSS refuses, saying what a bucket name is', () => {
    for (const bucket of ['My_Bucket', 'ab', '-abc', 'abc-', 'a'.repeat(64)]) {
      expect(
        issues(
          `{ endpoint: "https://oss-cn-shanghai.aliyuncs.com", ` +
            `bucket: "${bucket}", accessKeyId: a, accessKeySecret: s }`,
        ),
      ).toEqual([
        `providers[0].imageStaging.bucket: '${bucket.length > 60 ? bucket.slice(0, 57) + '...' : bucket}' ` +
          `is not valid: an OSS bucket name is 3-63 characters of lower-case letters, ` +
          `digits and hyphens, starting and ending with a letter or digit`,
      ]);
    }
  });

  it(
    'refuses a lifetime outside 10-3600 s, unknown keys, ' + 'bad prefixes and an IP endpoint without path addressing',
    () => {
      expect(issues(`${VALID}, urlExpiresSeconds: 5 }`, ENV)).toEqual([
        'providers[0].imageStaging.urlExpiresSeconds: must be an integer 10-3600, got 5',
      ]);
      expect(issues(`${VALID}, region: x }`, ENV)).toEqual([
        'providers[0].imageStaging.region: unknown key; allowed keys in imageStaging are endpoint, ' +
          'bucket, accessKeyId, accessKeySecret, prefix, urlExpiresSeconds, addressing',
      ]);
      expect(issues(`${VALID}, prefix: "/abs/" }`, ENV)[0]).toMatch(
        /^providers\[0\]\.imageStaging\.prefix: '\/abs\/' is not valid/,
      );
      expect(issues(`${VALID}, prefix: "a/../b/" }`, ENV)[0]).toMatch(/"\." and "\.\." segments/);
      expect(issues(`${VALID}, addressing: sideways }`, ENV)).toEqual([
        "providers[0].imageStaging.addressing: 'sideways' is not one of virtual-hosted, path",
      ]);
      expect(issues('{ endpoint: "http://127.0.0.1:4601", bucket: abc, accessKeyId: a, accessKeySecret: s }')).toEqual([
        'providers[0].imageStaging.addressing: an IP address endpoint (127.0.0.1) ' +
          'cannot carry the bucket in its host name: set addressing: path',
      ]);
    },
  );

  it('never shows the staging keys: not in a problem report, not in the config as logged', () => {
    expect(issues(`${VALID}, bucket: "Bad" }`, ENV).join()).not.toMatch(/staging-secret-value|LTAIstaging/);
    const config = load(`${VALID} }`, ENV);
    const described = describeConfigForLog(config);
    expect(JSON.stringify(described)).not.toMatch(/staging-secret-value|LTAIstaging/);
    expect(described.providers[0]).toMatchObject({
      imageStaging: { bucket: 'my-staging-1', credentials: ['accessKeyId', 'accessKeySecret'] },
    });
  });
});
