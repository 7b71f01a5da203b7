import type { IdempotencyClaim, IdempotencyRecord } from '../ledger-store';
import { Statements } from './statements';

/** Idempotency claims (one registration in flight per key, across replicas) and their outcomes. */
export class SqliteIdempotencyTables {
  constructor(private readonly statements: Statements) {}

  async claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.statements.transaction(() => {
      const done = this.idempotencyRecord(providerId, key);
      if (done) return { state: 'done', record: done };
      const now = new Date();
      const live = this.statements.get<{ request_hash: string; claimed_at: string }>(
        `SELECT request_hash, claimed_at FROM idempotency_claims WHERE provider_id = ? AND key = ?`,
        [providerId, key],
      );
      if (live && now.getTime() - Date.parse(live.claimed_at) < staleAfterMs) {
        return { state: 'busy', requestHash: live.request_hash };
      }
      this.statements.run(
        `INSERT INTO idempotency_claims (provider_id, key, request_hash, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (provider_id, key)
           DO UPDATE SET request_hash = excluded.request_hash, claimed_at = excluded.claimed_at`,
        [providerId, key, requestHash, now.toISOString()],
      );
      return { state: 'claimed' };
    });
  }

  async releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    this.statements.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
  }

  async getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return this.idempotencyRecord(providerId, key);
  }

  private idempotencyRecord(providerId: string, key: string): IdempotencyRecord | null {
    const row = this.statements.get<{ request_hash: string; face_row_id: number; created_at: string }>(
      `SELECT request_hash, face_row_id, created_at FROM idempotency_keys WHERE provider_id = ? AND key = ?`,
      [providerId, key],
    );
    if (!row) return null;
    return {
      providerId,
      key,
      requestHash: row.request_hash,
      faceRowId: row.face_row_id,
      createdAt: new Date(row.created_at),
    };
  }
}
