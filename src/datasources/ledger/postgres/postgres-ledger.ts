import type pg from 'pg';
import type {
  FaceRecord,
  LibraryRecord,
  Page,
  PageArgs,
  PersonRecord,
  ResolvedFaceFilter,
} from '../../../domain/model';
import { takePendingAudit } from '../audit-scope';
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
import { PostgresAccessTables } from './access-tables';
import { PostgresLocalImages } from './local-images';
import { appliedVersions, applyMigrations, MIGRATIONS } from './migrations';
import { createPool, PgStatements } from './statements';
import { PostgresLibraryTables } from './library-tables';
import { PostgresPersonTables } from './person-tables';
import { PostgresFaceTables } from './face-tables';
import { PostgresDescriptorTables } from './descriptor-tables';
import { PostgresIdempotencyTables } from './idempotency-tables';

export interface PostgresLedgerOptions {
  /** Connections the pool opens at most. */
  poolSize: number;
}

// The LedgerStore of one database, composed of one part per group of tables (each in its own file, sharing the
// SQL shapes of ../query-shapes.ts and ../paging.ts); this class opens, migrates and closes, and delegates.
export class PostgresLedger implements LedgerStore {
  private readonly db: PgStatements;
  readonly access: PostgresAccessTables;
  readonly localImages: PostgresLocalImages;
  private closed = false;

  private readonly libraryTables: PostgresLibraryTables;
  private readonly personTables: PostgresPersonTables;
  private readonly faceTables: PostgresFaceTables;
  private readonly descriptorTables: PostgresDescriptorTables;
  private readonly idempotencyTables: PostgresIdempotencyTables;

  private constructor(pool: pg.Pool) {
    this.db = new PgStatements(pool);
    this.libraryTables = new PostgresLibraryTables(this.db);
    this.personTables = new PostgresPersonTables(this.db);
    this.faceTables = new PostgresFaceTables(this.db);
    this.descriptorTables = new PostgresDescriptorTables(this.db);
    this.idempotencyTables = new PostgresIdempotencyTables(this.db);
    this.access = new PostgresAccessTables(this.db);
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
