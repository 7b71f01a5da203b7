// Who is calling and what they may do: decided once per request in src/server/auth, passed down as data.

export const SCOPES = ['read', 'search', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Access {
  /** Key id, `jwt:<sub>`, or `anonymous` (local development or auth.mode none). */
  actor: string;
  /** A scope implies no other: a credential lists all it has. */
  scopes: ReadonlySet<Scope>;
  /** The providers the credential is limited to; null: every provider. */
  providers: ReadonlySet<string> | null;
}

/** Local development (no auth configured, loopback) and auth.mode none: everything allowed. */
export const ANONYMOUS_FULL_ACCESS: Access = { actor: 'anonymous', scopes: new Set(SCOPES), providers: null };

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function mayUseProvider(access: Access, providerId: string): boolean {
  return access.providers === null || access.providers.has(providerId);
}
