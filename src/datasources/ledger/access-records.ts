import type { Scope } from '../../domain/access';
import type { Page } from '../../domain/model';

// What the ledger keeps for access control: API keys created at run time (only the SHA-256 of their secret), and
// the audit log of every mutation and search.

export interface NewApiKey {
  id: string;
  name: string;
  sha256: string;
  scopes: Scope[];
  providers: string[] | null;
  expiresAt: Date | null;
}

export interface StoredApiKey extends NewApiKey {
  rowId: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface AuditEntry {
  at: Date;
  /** Key id, `jwt:<sub>` or `anonymous`. */
  actor: string;
  /** The GraphQL field, e.g. registerFace. */
  operation: string;
  /** Global ids of what the operation named or changed. Never field values or image bytes. */
  targetIds: string[];
  /** The result's __typename, e.g. RegisterFaceSuccess or NotFoundError. */
  outcome: string;
  clientAddress: string | null;
}

export interface AuditRecord extends AuditEntry {
  rowId: number;
}

export interface AuditQuery {
  actor?: string | null;
  operation?: string | null;
  targetId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/** Newest first: `beforeRowId` (from a cursor) is exclusive. */
export interface NewestFirstPage {
  first: number;
  beforeRowId?: number;
  withTotal?: boolean;
}

export interface AccessRecords {
  insertApiKey(key: NewApiKey): Promise<StoredApiKey>;
  apiKeyBySha256(sha256: string): Promise<StoredApiKey | null>;
  apiKeyById(id: string): Promise<StoredApiKey | null>;
  /** Keys that can still be used (not revoked, not expired): how a restarted server knows it must ask for one. */
  countUsableApiKeys(at: Date): Promise<number>;
  listApiKeys(page: NewestFirstPage): Promise<Page<StoredApiKey>>;
  /** Sets revokedAt (kept if already set); null when there is no such key. */
  revokeApiKey(id: string, at: Date): Promise<StoredApiKey | null>;
  touchApiKey(id: string, at: Date): Promise<void>;

  insertAuditEvent(entry: AuditEntry): Promise<void>;
  listAuditEvents(query: AuditQuery, page: NewestFirstPage): Promise<Page<AuditRecord>>;
  /** Deletes events older than `before`; returns how many. */
  pruneAuditEvents(before: Date): Promise<number>;
}
