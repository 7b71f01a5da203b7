import type { Scope } from '../../domain/access';
import type { Page } from '../../domain/model';
import type { AuditRecord, NewestFirstPage, StoredApiKey } from './access-records';
import { fromJson, type JsonColumn, type TimeColumn } from './rows';

// Rows of the API key and audit tables, and their records: the same for both dialects.

export interface ApiKeyRow {
  row_id: number;
  id: string;
  name: string;
  sha256: string;
  scopes: JsonColumn;
  providers: JsonColumn;
  created_at: TimeColumn;
  expires_at: TimeColumn | null;
  last_used_at: TimeColumn | null;
  revoked_at: TimeColumn | null;
}

export interface AuditRow {
  row_id: number;
  at: TimeColumn;
  actor: string;
  operation: string;
  target_ids: JsonColumn;
  outcome: string;
  client_address: string | null;
}

const date = (value: TimeColumn | null) => (value === null ? null : new Date(value));

export function toApiKey(row: ApiKeyRow): StoredApiKey {
  return {
    rowId: row.row_id,
    id: row.id,
    name: row.name,
    sha256: row.sha256,
    scopes: fromJson<Scope[]>(row.scopes),
    providers: row.providers === null ? null : fromJson<string[]>(row.providers),
    createdAt: new Date(row.created_at),
    expiresAt: date(row.expires_at),
    lastUsedAt: date(row.last_used_at),
    revokedAt: date(row.revoked_at),
  };
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return {
    rowId: row.row_id,
    at: new Date(row.at),
    actor: row.actor,
    operation: row.operation,
    targetIds: fromJson<string[]>(row.target_ids),
    outcome: row.outcome,
    clientAddress: row.client_address,
  };
}

/** Keys and audit events are never deleted newest first (retention removes the oldest), so a cursor has newer rows. */
export function newestFirst<T>(rows: T[], page: NewestFirstPage, totalCount: number): Page<T> {
  return {
    items: rows.slice(0, page.first),
    hasNextPage: rows.length > page.first,
    hasPreviousPage: page.beforeRowId !== undefined,
    totalCount,
  };
}
