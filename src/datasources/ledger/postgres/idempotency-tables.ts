import type { IdempotencyClaim, IdempotencyRecord } from '../ledger-store';
import { PgStatements } from './statements';
import { idempotencyRecordIn } from './dialect';

/** Idempotency claims (one registration in flight per key, across replicas) and their outcomes. */
export class PostgresIdempotencyTables {
  constructor(private readonly db: PgStatements) {}

  async claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.db.transaction(async (tx) => {
      // The claim first: INSERT ... ON CONFLICT is atomic across replicas, where a look-up then an insert is not.
      // Only then the finished record: a registration that finished meanwhile removed its claim and wrote its key in
      // one transaction, so one of the two is always seen.
      const now = new Date();
      const claimed = await tx.row<{ claimed: boolean }>(
        `INSERT INTO idempotency_claims (provider_id, key, request_hash, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (provider_id, key)
           DO UPDATE SET request_hash = excluded.request_hash, claimed_at = excluded.claimed_at
           WHERE idempotency_claims.claimed_at < ?
         RETURNING true AS claimed`,
        [providerId, key, requestHash, now, new Date(now.getTime() - staleAfterMs)],
      );
      const done = await idempotencyRecordIn(tx, providerId, key);
      if (done) {
        if (claimed)
          await tx.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
        return { state: 'done', record: done };
      }
      if (claimed) return { state: 'claimed' };
      const live = await tx.row<{ request_hash: string }>(
        `SELECT request_hash FROM idempotency_claims WHERE provider_id = ? AND key = ?`,
        [providerId, key],
      );
      // Released between the two statements: the caller polls and claims on its next turn.
      return { state: 'busy', requestHash: live?.request_hash ?? requestHash };
    });
  }

  async releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    await this.db.run(`DELETE FROM idempotency_claims WHERE provider_id = ? AND key = ?`, [providerId, key]);
  }

  async getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return idempotencyRecordIn(this.db, providerId, key);
  }
}
