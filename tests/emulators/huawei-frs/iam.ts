/**
 * A fake IAM `POST /v3/auth/tokens` (password method, notes §7.1) and the token registry used for
 * `X-Auth-Token` authentication.
 *
 * IAM error bodies are not in the notes: the emulator answers in the Keystone shape
 * `{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`
 * (the message text appears in Huawei's FAQ; the envelope is UNVERIFIED).
 */
import { isPlainObject } from './fields';
import { newHexId, newIamToken } from './ids';
import type { OperationResult } from './service';

export interface IamUser {
  name: string;
  password: string;
  domainName: string;
}

export interface TokenRecord {
  /** undefined for a domain-scoped token (no project) */
  projectId: string | undefined;
  expiresAt: number;
  issuedAt: number;
  userName: string;
}

export interface IamOptions {
  projectId: string;
  region: string;
  tokenTtlMs: number;
  now: () => number;
  frsEndpoint: () => string;
}

/** `2020-01-04T09:05:22.701000Z` (microsecond precision, as in the doc example). */
export function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function iamError(status: number, title: string, message: string): OperationResult {
  return { status, body: { error: { code: status, message, title } } };
}

export class IamService {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly domainIds = new Map<string, string>();
  private readonly userIds = new Map<string, string>();

  constructor(
    private readonly users: readonly IamUser[],
    private readonly options: IamOptions,
  ) {}

  /** Registers a token (`projectId` undefined = domain-scoped); `ttlMs` undefined = never expires. */
  addToken(
    token: string,
    ttlMs: number | undefined,
    projectId: string | undefined,
    userName = 'static-token',
  ): TokenRecord {
    const now = this.options.now();
    const record: TokenRecord = {
      projectId,
      issuedAt: now,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs,
      userName,
    };
    this.tokens.set(token, record);
    return record;
  }

  lookup(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  issue(body: Buffer, query: [string, string][]): OperationResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return iamError(400, 'Bad Request', 'The request body is not valid JSON.');
    }
    const auth = isPlainObject(parsed) ? parsed['auth'] : undefined;
    const identity = isPlainObject(auth) ? auth['identity'] : undefined;
    const methods = isPlainObject(identity) ? identity['methods'] : undefined;
    const password = isPlainObject(identity) ? identity['password'] : undefined;
    const user = isPlainObject(password) ? password['user'] : undefined;
    const domain = isPlainObject(user) ? user['domain'] : undefined;
    if (
      !Array.isArray(methods) ||
      !methods.includes('password') ||
      !isPlainObject(user) ||
      typeof user['name'] !== 'string' ||
      typeof user['password'] !== 'string' ||
      !isPlainObject(domain) ||
      typeof domain['name'] !== 'string'
    ) {
      return iamError(
        400,
        'Bad Request',
        'The request is missing auth.identity.password.user {name, password, domain.name}.',
      );
    }
    const match = this.users.find(
      (u) => u.name === user['name'] && u.domainName === domain['name'] && u.password === user['password'],
    );
    if (!match) return iamError(401, 'Unauthorized', 'The username or password is wrong.');

    const scope = isPlainObject(auth) ? auth['scope'] : undefined;
    let projectId: string | undefined;
    if (isPlainObject(scope) && scope['project'] !== undefined) {
      const project = scope['project'];
      const byName = isPlainObject(project) && project['name'] === this.options.region;
      const byId = isPlainObject(project) && project['id'] === this.options.projectId;
      if (!byName && !byId) return iamError(401, 'Unauthorized', 'The request you have made requires authentication.');
      projectId = this.options.projectId;
    }

    const token = newIamToken();
    const record = this.addToken(token, this.options.tokenTtlMs, projectId, match.name);
    const domainRef = { id: this.idFor(this.domainIds, match.domainName), name: match.domainName };
    const tokenBody: Record<string, unknown> = {
      expires_at: iamTime(record.expiresAt),
      issued_at: iamTime(record.issuedAt),
      methods: ['password'],
      user: {
        id: this.idFor(this.userIds, `${match.domainName}/${match.name}`),
        name: match.name,
        domain: domainRef,
        password_expires_at: '',
      },
      roles: [{ id: '0', name: 'op_service' }],
    };
    if (projectId) tokenBody['project'] = { id: projectId, name: this.options.region, domain: domainRef };
    else tokenBody['domain'] = domainRef;
    const nocatalog = query.some(([k, v]) => k === 'nocatalog' && v === 'true');
    if (!nocatalog) {
      tokenBody['catalog'] = [
        {
          type: 'frs',
          id: this.idFor(this.domainIds, '#frs-service'),
          name: 'frs',
          endpoints: [
            {
              id: this.idFor(this.domainIds, '#frs-endpoint'),
              interface: 'public',
              region: this.options.region,
              region_id: this.options.region,
              url: this.options.frsEndpoint(),
            },
          ],
        },
      ];
    }
    return { status: 201, body: { token: tokenBody }, headers: { 'X-Subject-Token': token } };
  }

  private idFor(map: Map<string, string>, key: string): string {
    let id = map.get(key);
    if (!id) {
      id = newHexId();
      map.set(key, id);
    }
    return id;
  }
}
