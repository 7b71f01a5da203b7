import { randomBytes } from 'node:crypto';
import { isScope, type Scope } from '../domain/access';
import { newApiKeySecret, sha256Hex } from '../domain/api-key-secret';
import { invalidInput } from '../domain/errors';
import type { StoredApiKey } from '../datasources/ledger/access-records';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { LIMITS, optionalText } from './input-rules';

export interface CreateApiKeyRequest {
  name: string;
  scopes: string[];
  providers?: string[] | null;
  expiresAt?: Date | null;
}

/** API keys made at run time (createApiKey, `npm run keys`): the secret is returned once and never stored. */
export class ApiKeyService {
  constructor(
    private readonly ledger: LedgerStore,
    /** The configured provider ids (the CLI has no running vendors). */
    private readonly providerIds: readonly string[],
  ) {}

  async create(req: CreateApiKeyRequest, now = new Date()): Promise<{ apiKey: StoredApiKey; secret: string }> {
    const name = optionalText(req.name, 'input.name', LIMITS.displayName);
    if (name === null)
      throw invalidInput('input.name', 'input.name is required: say who or what the key is for.', 'REQUIRED');
    const scopes = checkScopes(req.scopes);
    const providers = req.providers == null ? null : this.checkProviders(req.providers);
    if (req.expiresAt != null && !(req.expiresAt.getTime() > now.getTime())) {
      throw invalidInput('input.expiresAt', 'input.expiresAt must be in the future.', 'FUTURE');
    }
    const secret = newApiKeySecret();
    const apiKey = await this.ledger.access.insertApiKey({
      id: `key-${randomBytes(6).toString('hex')}`,
      name,
      sha256: sha256Hex(secret),
      scopes,
      providers,
      expiresAt: req.expiresAt ?? null,
    });
    return { apiKey, secret };
  }

  private checkProviders(ids: string[]): string[] {
    if (ids.length === 0) {
      throw invalidInput(
        'input.providers',
        'input.providers is empty: omit it for every provider, or name some.',
        'NOT_EMPTY',
      );
    }
    ids.forEach((id, i) => {
      if (!this.providerIds.includes(id)) {
        const known = this.providerIds.join(', ');
        throw invalidInput(
          `input.providers[${i}]`,
          `There is no provider '${id}'; the configured ones are ${known}.`,
          'PROVIDER',
        );
      }
    });
    return [...new Set(ids)];
  }
}

export function checkScopes(scopes: string[], field = 'input.scopes'): Scope[] {
  if (scopes.length === 0)
    throw invalidInput(field, `${field} is empty: give at least one of read, search, write, admin.`, 'NOT_EMPTY');
  scopes.forEach((scope, i) => {
    if (!isScope(scope)) {
      throw invalidInput(
        `${field}[${i}]`,
        `'${scope}' is not a scope; the scopes are read, search, write and admin.`,
        'SCOPE',
      );
    }
  });
  return [...new Set(scopes as Scope[])];
}
