import Database from 'better-sqlite3';
import type {
  FaceRecord,
  LibraryRecord,
  Page,
  PageArgs,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../../domain/model';
import type {
  DeletedFace,
  DescriptorMatrix,
  FaceKey,
  FacePatch,
  IdempotencyClaim,
  IdempotencyRecord,
  LedgerStore,
  LibraryCounts,
  LibraryKey,
  LibraryPatch,
  NewFace,
  NewLibrary,
  NewPerson,
  PageOptions,
  PersonKey,
  PersonPatch,
} from '../ledger-store';
import { takePendingAudit } from '../audit-scope';
import { SqliteAccessTables } from './access-tables';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import { Statements } from './statements';
import { SqliteLibraryTables } from './library-tables';
import { SqlitePersonTables } from './person-tables';
import { SqliteFaceTables } from './face-tables';
import { SqliteDescriptorTables } from './descriptor-tables';
import { SqliteIdempotencyTables } from './idempotency-tables';

const BUSY_TIMEOUT_MS = 5000;

// The LedgerStore of one database, composed of one part per group of tables (each in its own file, sharing the
// SQL shapes of ../query-shapes.ts and ../paging.ts); this class opens, migrates and closes, and delegates.
export class SqliteLedger implements LedgerStore {
  private readonly statements: Statements;
  readonly access: SqliteAccessTables;

  private readonly libraryTables: SqliteLibraryTables;
  private readonly personTables: SqlitePersonTables;
  private readonly faceTables: SqliteFaceTables;
  private readonly descriptorTables: SqliteDescriptorTables;
  private readonly idempotencyTables: SqliteIdempotencyTables;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
    this.libraryTables = new SqliteLibraryTables(this.statements);
    this.personTables = new SqlitePersonTables(this.statements);
    this.faceTables = new SqliteFaceTables(this.statements);
    this.descriptorTables = new SqliteDescriptorTables(this.statements);
    this.idempotencyTables = new SqliteIdempotencyTables(this.statements);
    this.access = new SqliteAccessTables(this.statements);
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
    return `${this.statements.writeCount}:${this.statements.pragma('data_version')}`;
  }

  insertLibrary(lib: NewLibrary): Promise<LibraryRecord> {
    return this.libraryTables.insertLibrary(lib);
  }

  updateLibraryMeta(rowId: number, vendorMeta: Record<string, unknown>): Promise<LibraryRecord> {
    return this.libraryTables.updateLibraryMeta(rowId, vendorMeta);
  }

  updateLibrary(rowId: number, patch: LibraryPatch): Promise<LibraryRecord> {
    return this.libraryTables.updateLibrary(rowId, patch);
  }

  librariesByKey(keys: readonly LibraryKey[]): Promise<(LibraryRecord | null)[]> {
    return this.libraryTables.librariesByKey(keys);
  }

  librariesByRowId(rowIds: readonly number[]): Promise<(LibraryRecord | null)[]> {
    return this.libraryTables.librariesByRowId(rowIds);
  }

  listLibraries(
    providerIds: readonly string[] | null,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<LibraryRecord>> {
    return this.libraryTables.listLibraries(providerIds, page, options);
  }

  libraryCounts(rowIds: readonly number[]): Promise<LibraryCounts[]> {
    return this.libraryTables.libraryCounts(rowIds);
  }

  deleteLibrary(rowId: number): Promise<number> {
    return this.libraryTables.deleteLibrary(rowId);
  }

  insertPerson(person: NewPerson): Promise<PersonRecord> {
    return this.personTables.insertPerson(person);
  }

  updatePerson(rowId: number, patch: PersonPatch): Promise<PersonRecord> {
    return this.personTables.updatePerson(rowId, patch);
  }

  deletePerson(rowId: number): Promise<number> {
    return this.personTables.deletePerson(rowId);
  }

  personsByKey(keys: readonly PersonKey[]): Promise<(PersonRecord | null)[]> {
    return this.personTables.personsByKey(keys);
  }

  personsByRowId(rowIds: readonly number[]): Promise<(PersonRecord | null)[]> {
    return this.personTables.personsByRowId(rowIds);
  }

  listPersons(
    libraryRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<PersonRecord>[]> {
    return this.personTables.listPersons(libraryRowIds, page, options);
  }

  insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord> {
    return this.faceTables.insertFace(face, idempotency);
  }

  facesByKey(keys: readonly FaceKey[]): Promise<(FaceRecord | null)[]> {
    return this.faceTables.facesByKey(keys);
  }

  facesByRowId(rowIds: readonly number[]): Promise<(FaceRecord | null)[]> {
    return this.faceTables.facesByRowId(rowIds);
  }

  listFaces(
    libraryRowId: number,
    filter: ResolvedFaceFilter,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>> {
    return this.faceTables.listFaces(libraryRowId, filter, page, options);
  }

  listFacesOfPersons(
    personRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>[]> {
    return this.faceTables.listFacesOfPersons(personRowIds, page, options);
  }

  findFaces(libraryRowId: number, filter: ResolvedFaceFilter): Promise<FaceRecord[]> {
    return this.faceTables.findFaces(libraryRowId, filter);
  }

  updateFace(rowId: number, patch: FacePatch): Promise<FaceRecord> {
    return this.faceTables.updateFace(rowId, patch);
  }

  deleteFaces(rowIds: readonly number[]): Promise<DeletedFace[]> {
    return this.faceTables.deleteFaces(rowIds);
  }

  imagesInUse(imageSha256s: readonly string[]): Promise<string[]> {
    return this.faceTables.imagesInUse(imageSha256s);
  }

  faceDescriptors(
    libraryRowId: number,
    dimensions: number,
    options: { afterRowId?: number } = {},
  ): Promise<DescriptorMatrix> {
    return this.descriptorTables.faceDescriptors(libraryRowId, dimensions, options);
  }

  countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number> {
    return this.descriptorTables.countFaceDescriptors(libraryRowId, upToRowId);
  }

  faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]> {
    return this.descriptorTables.faceDescriptorRowIds(libraryRowId, upToRowId);
  }

  claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.idempotencyTables.claimIdempotencyKey(providerId, key, requestHash, staleAfterMs);
  }

  releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    return this.idempotencyTables.releaseIdempotencyClaim(providerId, key);
  }

  getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return this.idempotencyTables.getIdempotency(providerId, key);
  }
}
