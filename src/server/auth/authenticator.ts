import { ANONYMOUS_FULL_ACCESS, type Access, type Scope } from '../../domain/access';
import { looksLikeApiKey, sameDigest, sameSecret, sha256Hex } from '../../domain/api-key-secret';
import { JwtRejected, JwtVerifier, type JwtSettings } from './jwt-verifier';

// The one place that decides who the caller is (design.md, "Access"). Nothing below the resolvers sees headers.

export interface ApiKeyRecord {
  id: string;
  sha256: string;
  scopes: Scope[];
  providers: string[] | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Where keys created at run time are kept (the ledger). */
export interface ApiKeyLookup {
  apiKeyBySha256(sha256: string): Promise<ApiKeyRecord | null>;
  /** Records a use; called at most once a minute per key, so a busy key costs no write per request. */
  touchApiKey(id: string, at: Date): Promise<void>;
}

export interface AuthSettings {
  /** none: everything allowed (behind a router that authenticates); required: a credential on every request. */
  mode: 'none' | 'required' | 'local-development';
  keys: ApiKeyRecord[];
  jwt: JwtSettings | null;
  routerSecret: string | null;
}

/** A request that must be answered 401: the message says what is missing or wrong, never echoing a secret. */
export class AuthenticationError extends Error {}

export interface RequestCredentials {
  authorization?: string | null;
  routerSecret?: string | null;
  /**
   * The ledger's change version as this request sees it: with it, a key read from the ledger is remembered until
   * the version moves (any write to api_keys moves it, a revocation on another replica included).
   */
  ledgerVersion?: () => Promise<string>;
}

const TOUCH_INTERVAL_MS = 60_000;
/** Verified ledger keys remembered; past this many (a key per caller is far fewer), the memory starts afresh. */
const MAX_REMEMBERED_KEYS = 10_000;

export class Authenticator {
  private readonly configKeys: Map<string, ApiKeyRecord>;
  private readonly jwt: JwtVerifier | null;
  private readonly touched = new Map<string, number>();
  /** Ledger keys by digest, with the ledger version they were read at. */
  private readonly remembered = new Map<string, { key: ApiKeyRecord; version: string }>();
  private readonly routerSecret: string | null;
  private mode: AuthSettings['mode'];

  constructor(
    settings: AuthSettings,
    private readonly lookup: ApiKeyLookup,
    private readonly onTouchFailed: (e: unknown) => void = () => undefined,
  ) {
    this.mode = settings.mode;
    this.configKeys = new Map(settings.keys.map((k) => [k.sha256.toLowerCase(), k]));
    this.jwt = settings.jwt ? new JwtVerifier(settings.jwt) : null;
    this.routerSecret = settings.routerSecret;
  }

  /** Whether a request without a credential is refused. */
  get enforced(): boolean {
    return this.mode === 'required';
  }

  get currentMode(): AuthSettings['mode'] {
    return this.mode;
  }

  /** Local development ends with the first key: from then on, every request needs one. */
  keyCreated(): void {
    if (this.mode === 'local-development') this.mode = 'required';
  }

  async authenticate(credentials: RequestCredentials, now = new Date()): Promise<Access> {
    if (this.routerSecret !== null) {
      const given = credentials.routerSecret ?? '';
      if (!given)
        throw new AuthenticationError(
          'This server takes requests through its router only: the x-router-secret header is missing.',
        );
      if (!sameSecret(given, this.routerSecret)) throw new AuthenticationError('The x-router-secret header is wrong.');
    }
    const token = bearerToken(credentials.authorization);
    if (token === null) {
      if (!this.enforced) return ANONYMOUS_FULL_ACCESS;
      throw new AuthenticationError('A credential is required: send Authorization: Bearer <API key or JWT>.');
    }
    if (looksLikeApiKey(token)) return this.apiKeyAccess(token, now, credentials.ledgerVersion);
    if (this.jwt && token.split('.').length === 3) {
      try {
        return await this.jwt.verify(token);
      } catch (e) {
        if (e instanceof JwtRejected) throw new AuthenticationError(e.message);
        throw e;
      }
    }
    throw new AuthenticationError(
      this.jwt
        ? 'The bearer token is neither an API key (fgk_...) nor a JWT.'
        : 'The bearer token is not an API key (fgk_...).',
    );
  }

  private async apiKeyAccess(secret: string, now: Date, ledgerVersion?: () => Promise<string>): Promise<Access> {
    const digest = sha256Hex(secret);
    const key = this.configKeys.get(digest) ?? (await this.ledgerKey(digest, ledgerVersion));
    // The look-up was by digest; compare again in constant time so no code path depends on a partial match.
    if (!key || !sameDigest(key.sha256, digest))
      throw new AuthenticationError('The API key is not known to this server.');
    if (key.revokedAt && key.revokedAt <= now) throw new AuthenticationError('The API key was revoked.');
    if (key.expiresAt && key.expiresAt <= now) throw new AuthenticationError('The API key has expired.');
    if (!this.configKeys.has(digest)) this.touch(key.id, now);
    return { actor: key.id, scopes: new Set(key.scopes), providers: key.providers ? new Set(key.providers) : null };
  }

  /**
   * The ledger's record of a key; remembered while the ledger's version is unchanged (revocation and expiry are
   * checked on every use).
   */
  private async ledgerKey(digest: string, ledgerVersion?: () => Promise<string>): Promise<ApiKeyRecord | null> {
    if (!ledgerVersion) return this.lookup.apiKeyBySha256(digest);
    // Read before the key, so a revocation committed after this read moves the version past the one kept.
    const version = await ledgerVersion();
    const known = this.remembered.get(digest);
    if (known && known.version === version) return known.key;
    const key = await this.lookup.apiKeyBySha256(digest);
    if (!key) return null;
    if (this.remembered.size >= MAX_REMEMBERED_KEYS) this.remembered.clear();
    this.remembered.set(digest, { key, version });
    return key;
  }

  private touch(id: string, now: Date): void {
    const last = this.touched.get(id);
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, now.getTime());
    this.lookup.touchApiKey(id, now).catch(this.onTouchFailed);
  }
}

function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <API key or JWT>".');
  return match[1];
}
