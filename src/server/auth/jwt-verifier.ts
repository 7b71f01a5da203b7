import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { isScope, type Access, type Scope } from '../../domain/access';

export interface JwtSettings {
  jwksUrl?: string;
  publicKeyPem?: string;
  issuer: string;
  audience: string;
  /** Least time between two fetches of the key set (default 30 s), so unknown kids cannot make it fetch in a loop. */
  jwksCooldownMs?: number;
}

// Asymmetric algorithms only: a shared-secret (HS*) token would let anyone holding the secret mint scopes, and
// `alg: none` is refused by jose itself.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Why a token was refused, in words for the client: never the token, never the key. */
export class JwtRejected extends Error {}

export class JwtVerifier {
  private readonly key: KeyObject | ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: JwtSettings) {
    this.key = settings.publicKeyPem
      ? createPublicKey(settings.publicKeyPem)
      : // The key set is cached; a token signed with a kid it does not hold makes it fetch again (at most every 30 s),
        // which is how a rotated key is picked up.
        createRemoteJWKSet(new URL(settings.jwksUrl!), {
          cooldownDuration: settings.jwksCooldownMs ?? 30_000,
          cacheMaxAge: 10 * 60_000,
        });
  }

  async verify(token: string): Promise<Access> {
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, this.key as never, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: 5,
      });
      payload = verified.payload;
    } catch (e) {
      throw new JwtRejected(describeJoseError(e));
    }
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new JwtRejected('The JWT has no subject (sub claim).');
    return { actor: `jwt:${payload.sub}`, scopes: scopesOf(payload), providers: null };
  }
}

/** From `scope` (space-separated, OAuth 2) or `scp` (a list or a string, as some identity providers send it). */
function scopesOf(payload: JWTPayload): ReadonlySet<Scope> {
  const raw = payload.scope ?? payload.scp;
  const words = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(words.filter((w): w is Scope => typeof w === 'string' && isScope(w)));
}

function describeJoseError(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'The JWT has expired.';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return 'The JWT was issued by another issuer than this server trusts.';
    if (e.claim === 'aud') return 'The JWT is meant for another audience than this server.';
    if (e.claim === 'nbf') return 'The JWT is not valid yet.';
    return `The JWT's ${e.claim} claim is not valid.`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'The JWT signature does not verify.';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'The JWT uses an algorithm this server does not accept.';
  if (e instanceof errors.JWKSNoMatchingKey) return 'The JWT was signed with a key this server does not know.';
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) {
    return 'The signing keys could not be fetched; try again.';
  }
  return 'The bearer token is not a valid JWT.';
}
