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
import { noteCreatedId } from '../audit-scope';
import { type ApiKeyRow, type AuditRow, newestFirst, toApiKey, toAuditRecord } from '../access-rows';
import type { Statements } from './statements';

/** The API key and audit tables of the SQLite ledger (migration 3). */
export class SqliteAccessTables implements AccessRecords {
  constructor(private readonly statements: Statements) {}

  async insertApiKey(key: NewApiKey): Promise<StoredApiKey> {
    const row = this.statements.transaction(() => {
      noteCreatedId(key.id);
      return this.statements.get<ApiKeyRow>(
        `INSERT INTO api_keys (id, name, sha256, scopes, providers, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          key.id,
          key.name,
          key.sha256,
          JSON.stringify(key.scopes),
          key.providers === null ? null : JSON.stringify(key.providers),
          new Date().toISOString(),
          key.expiresAt?.toISOString() ?? null,
        ],
      );
    });
    return toApiKey(row!);
  }

  async apiKeyBySha256(sha256: string): Promise<StoredApiKey | null> {
    const row = this.statements.get<ApiKeyRow>(`SELECT * FROM api_keys WHERE sha256 = ?`, [sha256]);
    return row ? toApiKey(row) : null;
  }

  async apiKeyById(id: string): Promise<StoredApiKey | null> {
    const row = this.statements.get<ApiKeyRow>(`SELECT * FROM api_keys WHERE id = ?`, [id]);
    return row ? toApiKey(row) : null;
  }

  async countUsableApiKeys(at: Date): Promise<number> {
    const iso = at.toISOString();
    return this.statements.get<{ n: number }>(
      `SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
      [iso],
    )!.n;
  }

  async listApiKeys(page: NewestFirstPage): Promise<Page<StoredApiKey>> {
    const rows = this.statements.all<ApiKeyRow>(
      `SELECT * FROM api_keys WHERE row_id < ? ORDER BY row_id DESC LIMIT ?`,
      [page.beforeRowId ?? Number.MAX_SAFE_INTEGER, page.first + 1],
    );
    const total =
      page.withTotal === false ? 0 : this.statements.get<{ n: number }>(`SELECT count(*) AS n FROM api_keys`)!.n;
    return newestFirst(rows.map(toApiKey), page, total);
  }

  async revokeApiKey(id: string, at: Date): Promise<StoredApiKey | null> {
    const row = this.statements.transaction(() =>
      this.statements.get<ApiKeyRow>(
        `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *`,
        [at.toISOString(), id],
      ),
    );
    return row ? toApiKey(row) : null;
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    this.statements.runUnversioned(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, [at.toISOString(), id]);
  }

  async insertAuditEvent(entry: AuditEntry): Promise<void> {
    this.statements.transaction(() => this.insertAuditEventNow(entry));
  }

  /** For callers already inside a ledger transaction (the audit row commits with the change it records). */
  insertAuditEventNow(entry: AuditEntry): void {
    const { lastInsertRowid } = this.statements.runUnversioned(
      `INSERT INTO audit_events (at, actor, operation, target_ids, outcome, client_address) VALUES (?, ?, ?, ?, ?, ?)`,
      [
        entry.at.toISOString(),
        entry.actor,
        entry.operation,
        JSON.stringify(entry.targetIds),
        entry.outcome,
        entry.clientAddress,
      ],
    );
    for (const target of new Set(entry.targetIds)) {
      this.statements.runUnversioned(`INSERT INTO audit_event_targets (target_id, event_row_id) VALUES (?, ?)`, [
        target,
        lastInsertRowid,
      ]);
    }
  }

  async listAuditEvents(query: AuditQuery, page: NewestFirstPage): Promise<Page<AuditRecord>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.actor != null) where.push('e.actor = ?') && params.push(query.actor);
    if (query.operation != null) where.push('e.operation = ?') && params.push(query.operation);
    if (query.since != null) where.push('e.at >= ?') && params.push(query.since.toISOString());
    if (query.until != null) where.push('e.at < ?') && params.push(query.until.toISOString());
    if (query.targetId != null) {
      where.push('e.row_id IN (SELECT event_row_id FROM audit_event_targets WHERE target_id = ?)');
      params.push(query.targetId);
    }
    const filter = where.length > 0 ? where.join(' AND ') : '1 = 1';
    const rows = this.statements.all<AuditRow>(
      `SELECT e.* FROM audit_events e WHERE ${filter} AND e.row_id < ? ORDER BY e.row_id DESC LIMIT ?`,
      [...params, page.beforeRowId ?? Number.MAX_SAFE_INTEGER, page.first + 1],
    );
    const total =
      page.withTotal === false
        ? 0
        : this.statements.get<{ n: number }>(`SELECT count(*) AS n FROM audit_events e WHERE ${filter}`, params)!.n;
    return newestFirst(rows.map(toAuditRecord), page, total);
  }

  async pruneAuditEvents(before: Date): Promise<number> {
    return this.statements.transaction(() => {
      const cutoff = before.toISOString();
      this.statements.runUnversioned(
        `DELETE FROM audit_event_targets WHERE event_row_id IN (SELECT row_id FROM audit_events WHERE at < ?)`,
        [cutoff],
      );
      return this.statements.runUnversioned(`DELETE FROM audit_events WHERE at < ?`, [cutoff]).changes;
    });
  }
}

/** Migration 3: the API key and audit tables. */
export const ACCESS_TABLES_MIGRATION = {
  name: 'API keys (SHA-256 of the secret only) and the audit log',
  statements: [
    `CREATE TABLE api_keys (
      row_id INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      sha256 TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL,
      providers TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT,
      last_used_at TEXT,
      revoked_at TEXT
    )`,
    `CREATE TABLE audit_events (
      row_id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      operation TEXT NOT NULL,
      target_ids TEXT NOT NULL,
      outcome TEXT NOT NULL,
      client_address TEXT
    )`,
    `CREATE INDEX audit_events_by_actor ON audit_events (actor, row_id)`,
    `CREATE INDEX audit_events_by_operation ON audit_events (operation, row_id)`,
    `CREATE INDEX audit_events_by_time ON audit_events (at)`,
    `CREATE TABLE audit_event_targets (
      target_id TEXT NOT NULL,
      event_row_id INTEGER NOT NULL REFERENCES audit_events (row_id) ON DELETE CASCADE,
      PRIMARY KEY (target_id, event_row_id)
    ) WITHOUT ROWID`,
  ],
};
