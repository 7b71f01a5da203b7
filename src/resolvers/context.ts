import type { Logger } from 'pino';
import { ANONYMOUS_FULL_ACCESS, type Access } from '../domain/access';
import type { Services } from '../services';
import { createLoaders, type Loaders } from './loaders';

/** What the server learnt about the caller before any resolver runs (src/server/auth). */
export interface Caller {
  access: Access;
  /** The client's address, for the audit log. */
  address: string | null;
  /** Called after createApiKey: local development ends with the first key. */
  onApiKeyCreated(): void;
}

export interface RequestContext {
  services: Services;
  loaders: Loaders;
  logger: Logger;
  caller: Caller;
  /** Where links this server makes (Face.imageUrl) point: scheme://host[:port][/path]; null without HTTP (relative). */
  origin: string | null;
}

/** Tests and tools that build a context without HTTP act with full access. */
export const FULL_ACCESS_CALLER: Caller = {
  access: ANONYMOUS_FULL_ACCESS,
  address: null,
  onApiKeyCreated: () => undefined,
};

/**
 * A new context per request: DataLoader caches must never outlive one request. `ledgerVersion` is the ledger's
 * change version when the request has read it already (before any of its other ledger reads): its library lookups
 * may then be answered by records kept at that version (services.libraryRecords).
 */
export function createRequestContext(
  services: Services,
  logger: Logger,
  caller: Caller = FULL_ACCESS_CALLER,
  origin: string | null = null,
  ledgerVersion: string | null = null,
): RequestContext {
  const kept = ledgerVersion === null ? null : { version: ledgerVersion, libraries: services.libraryRecords };
  return { services, loaders: createLoaders(services.ledger, kept), logger, caller, origin };
}
