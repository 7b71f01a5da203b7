import type pg from 'pg';
import { takePendingAudit } from '../audit-scope';
import type { LedgerStore } from '../ledger-store';
import { PostgresAccessTables } from './access-tables';
import { PostgresFaceImages } from './face-image-tables';
import { PostgresLocalImages } from './local-images';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import { createPool, PgStatements } from './statements';
import { TableGroupsLedger } from '../table-groups-ledger';
import { PostgresLibraryTables } from './library-tables';
import { PostgresPersonTables } from './person-tables';
import { PostgresFaceTables } from './face-tables';
import { PostgresDescriptorTables } from './descriptor-tables';
import { PostgresIdempotencyTables } from './idempotency-tables';

export interface PostgresLedgerOptions {
  /** Connections the pool opens at most. */
  poolSize: number;
}

// The LedgerStore of one PostgreSQL database: a part per group of tables (each in its own file, sharing the SQL shapes
// of ../query-shapes.ts and ../paging.ts), to which TableGroupsLedger sends each call; this class opens, migrates,
// closes and keeps the pool.
export class PostgresLedger extends TableGroupsLedger implements LedgerStore {
  private readonly db: PgStatements;
  readonly access: PostgresAccessTables;
  readonly faceImages: PostgresFaceImages;
  readonly localImages: PostgresLocalImages;
  private closed = false;

  private constructor(pool: pg.Pool) {
    const db = new PgStatements(pool);
    super({
      libraries: new PostgresLibraryTables(db),
      persons: new PostgresPersonTables(db),
      faces: new PostgresFaceTables(db),
      descriptors: new PostgresDescriptorTables(db),
      idempotency: new PostgresIdempotencyTables(db),
    });
    this.db = db;
    this.access = new PostgresAccessTables(this.db);
    this.faceImages = new PostgresFaceImages(this.db);
    this.localImages = new PostgresLocalImages(pool);
    // Every write transaction carries the audit row of the operation it belongs to (audit-scope.ts).
    this.db.beforeCommit = async (tx) => {
      const pending = takePendingAudit();
      if (pending) await this.access.insertAuditEventIn(tx, pending);
    };
    // An idle connection that breaks (a restarted server) is dropped by the pool; without a listener it would throw.
    pool.on('error', () => undefined);
  }

  /** A pool on `connectionString` (opened lazily, nothing is checked yet). Call migrate() before use. */
  static open(connectionString: string, options: PostgresLedgerOptions): PostgresLedger {
    return new PostgresLedger(createPool(connectionString, options.poolSize));
  }

  async migrate(): Promise<void> {
    await this.db.withConnection((session) => applyMigrations(session));
  }

  async isReady(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const applied = await appliedVersions(this.db);
      return MIGRATIONS.every((m) => applied.has(m.version));
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.pool.end();
  }

  queryCount(): number {
    return this.db.count;
  }

  /** The pool's connections, for the ledger_pool_connections metric. */
  poolStats(): { total: number; idle: number; waiting: number } {
    const { totalCount, idleCount, waitingCount } = this.db.pool;
    return { total: totalCount, idle: idleCount, waiting: waitingCount };
  }

  async changeVersion(): Promise<string> {
    // Bumped at the commit of every write, whichever client made it (migration 3).
    return String((await this.db.row<{ value: number }>(`SELECT value FROM ledger_version`))!.value);
  }
}
