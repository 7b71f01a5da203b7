import Database from 'better-sqlite3';
import type { LedgerStore } from '../ledger-store';
import { takePendingAudit } from '../audit-scope';
import { SqliteAccessTables } from './access-tables';
import { SqliteFaceImages } from './face-image-tables';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import { Statements } from './statements';
import { TableGroupsLedger } from '../table-groups-ledger';
import { SqliteLibraryTables } from './library-tables';
import { SqlitePersonTables } from './person-tables';
import { SqliteFaceTables } from './face-tables';
import { SqliteDescriptorTables } from './descriptor-tables';
import { SqliteIdempotencyTables } from './idempotency-tables';

const BUSY_TIMEOUT_MS = 5000;

// The LedgerStore of one SQLite file: a part per group of tables (each in its own file, sharing the SQL shapes of
// ../query-shapes.ts and ../paging.ts), to which TableGroupsLedger sends each call; this class opens, migrates, closes.
export class SqliteLedger extends TableGroupsLedger implements LedgerStore {
  private readonly statements: Statements;
  readonly access: SqliteAccessTables;
  readonly faceImages: SqliteFaceImages;

  private constructor(private readonly db: Database.Database) {
    const statements = new Statements(db);
    super({
      libraries: new SqliteLibraryTables(statements),
      persons: new SqlitePersonTables(statements),
      faces: new SqliteFaceTables(statements),
      descriptors: new SqliteDescriptorTables(statements),
      idempotency: new SqliteIdempotencyTables(statements),
    });
    this.statements = statements;
    this.access = new SqliteAccessTables(this.statements);
    this.faceImages = new SqliteFaceImages(this.statements);
    // Every write transaction carries the audit row of the operation it belongs to (audit-scope.ts).
    this.statements.beforeCommit = () => {
      const pending = takePendingAudit();
      if (pending) this.access.insertAuditEventNow(pending);
    };
    this.statements.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.statements.pragma('journal_mode = WAL');
    this.statements.pragma('synchronous = NORMAL');
    this.statements.pragma('foreign_keys = ON');
  }

  /** Opens (creating when missing) the database file, or ':memory:'. Call migrate() before use. */
  static open(filename: string): SqliteLedger {
    return new SqliteLedger(new Database(filename));
  }

  async migrate(): Promise<void> {
    applyMigrations(this.statements);
  }

  async isReady(): Promise<boolean> {
    if (!this.db.open) return false;
    const applied = appliedVersions(this.statements);
    return MIGRATIONS.every((m) => applied.has(m.version));
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.statements.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  queryCount(): number {
    return this.statements.count;
  }

  /** The value of a PRAGMA, e.g. 'journal_mode' (for health checks and tests). */
  pragma(name: string): unknown {
    return this.statements.pragma(name);
  }

  async changeVersion(): Promise<string> {
    // data_version moves when another connection commits; it does not count this connection's own writes.
    // A prepared statement: db.pragma() compiles its statement on every call, and this runs on every cached read.
    const [dataVersion] = this.statements.all<number>('PRAGMA data_version', [], { pluck: true });
    return `${this.statements.writeCount}:${dataVersion}`;
  }
}
