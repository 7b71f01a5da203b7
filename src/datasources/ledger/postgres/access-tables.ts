import type { Page } from '../../../domain/model';
import type {
  AccessRecords,
  AuditEntry,
  AuditQuery,
  AuditRecord,
  NewApiKey,
  NewestFirstPage,
  StoredApiKey,
} from '../access-records';
import { type ApiKeyRow, type AuditRow, newestFirst, toApiKey, toAuditRecord } from '../access-rows';
import { noteCreatedId } from '../audit-scope';
import type { PgStatements, Session } from './statements';

/** The API key and audit tables of the PostgreSQL ledger (migration 2). */
export class PostgresAccessTables implements AccessRecords {
  constructor(private readonly db: PgStatements) {}

  async insertApiKey(key: NewApiKey): Promise<StoredApiKey> {
    const row = await this.db.transaction((tx) => {
      noteCreatedId(key.id);
      return tx.row<ApiKeyRow>(
        `INSERT INTO api_keys (id, name, sha256, scopes, providers, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          key.id,
          key.name,
          key.sha256,
          JSON.stringify(key.scopes),
          key.providers === null ? null : JSON.stringify(key.providers),
          new Date(),
          key.expiresAt,
        ],
      );
    });
    return toApiKey(row!);
  }

  async apiKeyBySha256(sha256: string): Promise<StoredApiKey | null> {
    const row = await this.db.row<ApiKeyRow>(`SELECT * FROM api_keys WHERE sha256 = ?`, [sha256]);
    return row ? toApiKey(row) : null;
  }

  async apiKeyById(id: string): Promise<StoredApiKey | null> {
    const row = await this.db.row<ApiKeyRow>(`SELECT * FROM api_keys WHERE id = ?`, [id]);
    return row ? toApiKey(row) : null;
  }

  async countUsableApiKeys(at: Date): Promise<number> {
    const row = await this.db.row<{ n: number }>(
      `SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
      [at],
    );
    return row!.n;
  }

  async listApiKeys(page: NewestFirstPage): Promise<Page<StoredApiKey>> {
    const rows = await this.db.rows<ApiKeyRow>(`SELECT * FROM api_keys WHERE row_id < ? ORDER BY row_id DESC LIMIT ?`, [
      page.beforeRowId ?? Number.MAX_SAFE_INTEGER,
      page.first + 1,
    ]);
    const total =
      page.withTotal === false ? 0 : (await this.db.row<{ n: number }>(`SELECT count(*) AS n FROM api_keys`))!.n;
    return newestFirst(rows.map(toApiKey), page, total);
  }

  async revokeApiKey(id: string, at: Date): Promise<StoredApiKey | null> {
    const row = await this.db.transaction((tx) =>
      tx.row<ApiKeyRow>(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *`, [at, id]),
    );
    return row ? toApiKey(row) : null;
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await this.db.run(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, [at, id]);
  }

  async insertAuditEvent(entry: AuditEntry): Promise<void> {
    await this.db.transaction((tx) => this.insertAuditEventIn(tx, entry));
  }

  /** Inside a ledger transaction: the audit row commits with the change it records. */
  async insertAuditEventIn(tx: Session, entry: AuditEntry): Promise<void> {
    await tx.run(
      `WITH event AS (
         INSERT INTO audit_events (at, actor, operation, target_ids, outcome, client_address)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING row_id)
       INSERT INTO audit_event_targets (target_id, event_row_id)
       SELECT DISTINCT t.target_id, event.row_id FROM event, unnest(?::text[]) AS t(target_id)`,
      [
        entry.at,
        entry.actor,
        entry.operation,
        JSON.stringify(entry.targetIds),
        entry.outcome,
        entry.clientAddress,
        entry.targetIds,
      ],
    );
  }

  async listAuditEvents(query: AuditQuery, page: NewestFirstPage): Promise<Page<AuditRecord>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.actor != null) where.push('e.actor = ?') && params.push(query.actor);
    if (query.operation != null) where.push('e.operation = ?') && params.push(query.operation);
    if (query.since != null) where.push('e.at >= ?') && params.push(query.since);
    if (query.until != null) where.push('e.at < ?') && params.push(query.until);
    if (query.targetId != null) {
      where.push('e.row_id IN (SELECT event_row_id FROM audit_event_targets WHERE target_id = ?)');
      params.push(query.targetId);
    }
    const filter = where.length > 0 ? where.join(' AND ') : 'TRUE';
    const rows = await this.db.rows<AuditRow>(
      `SELECT e.* FROM audit_events e WHERE ${filter} AND e.row_id < ? ORDER BY e.row_id DESC LIMIT ?`,
      [...params, page.beforeRowId ?? Number.MAX_SAFE_INTEGER, page.first + 1],
    );
    const total =
      page.withTotal === false
        ? 0
        : (await this.db.row<{ n: number }>(`SELECT count(*) AS n FROM audit_events e WHERE ${filter}`, params))!.n;
    return newestFirst(rows.map(toAuditRecord), page, total);
  }

  async pruneAuditEvents(before: Date): Promise<number> {
    // The events' targets go by cascade.
    return this.db.transaction((tx) => tx.run(`DELETE FROM audit_events WHERE at < ?`, [before]));
  }
}
