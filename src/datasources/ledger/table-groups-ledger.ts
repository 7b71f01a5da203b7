import type { FaceRecord, LibraryRecord, Page, PageArgs, PersonRecord, ResolvedFaceFilter } from '../../domain/model';
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
} from './ledger-store';

// Every dialect's ledger is made of the same groups of tables; this is the part of LedgerStore that only sends each
// call to the group that owns it, written once for SQLite and PostgreSQL.

export type LibraryTables = Pick<
  LedgerStore,
  | 'insertLibrary'
  | 'updateLibraryMeta'
  | 'updateLibrary'
  | 'librariesByKey'
  | 'librariesByRowId'
  | 'listLibraries'
  | 'libraryCounts'
  | 'deleteLibrary'
>;

export type PersonTables = Pick<
  LedgerStore,
  'insertPerson' | 'updatePerson' | 'deletePerson' | 'personsByKey' | 'personsByRowId' | 'listPersons'
>;

export type FaceTables = Pick<
  LedgerStore,
  | 'insertFace'
  | 'facesByKey'
  | 'facesByRowId'
  | 'listFaces'
  | 'listFacesOfPersons'
  | 'findFaces'
  | 'updateFace'
  | 'deleteFaces'
  | 'imagesInUse'
>;

export type DescriptorTables = Pick<LedgerStore, 'faceDescriptors' | 'countFaceDescriptors' | 'faceDescriptorRowIds'>;

export type IdempotencyTables = Pick<LedgerStore, 'claimIdempotencyKey' | 'releaseIdempotencyClaim' | 'getIdempotency'>;

export interface LedgerTables {
  libraries: LibraryTables;
  persons: PersonTables;
  faces: FaceTables;
  descriptors: DescriptorTables;
  idempotency: IdempotencyTables;
}

export abstract class TableGroupsLedger {
  constructor(private readonly tables: LedgerTables) {}

  insertLibrary(lib: NewLibrary): Promise<LibraryRecord> {
    return this.tables.libraries.insertLibrary(lib);
  }

  updateLibraryMeta(rowId: number, vendorMeta: Record<string, unknown>): Promise<LibraryRecord> {
    return this.tables.libraries.updateLibraryMeta(rowId, vendorMeta);
  }

  updateLibrary(rowId: number, patch: LibraryPatch): Promise<LibraryRecord> {
    return this.tables.libraries.updateLibrary(rowId, patch);
  }

  librariesByKey(keys: readonly LibraryKey[]): Promise<(LibraryRecord | null)[]> {
    return this.tables.libraries.librariesByKey(keys);
  }

  librariesByRowId(rowIds: readonly number[]): Promise<(LibraryRecord | null)[]> {
    return this.tables.libraries.librariesByRowId(rowIds);
  }

  listLibraries(
    providerIds: readonly string[] | null,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<LibraryRecord>> {
    return this.tables.libraries.listLibraries(providerIds, page, options);
  }

  libraryCounts(rowIds: readonly number[]): Promise<LibraryCounts[]> {
    return this.tables.libraries.libraryCounts(rowIds);
  }

  deleteLibrary(rowId: number): Promise<number> {
    return this.tables.libraries.deleteLibrary(rowId);
  }

  insertPerson(person: NewPerson): Promise<PersonRecord> {
    return this.tables.persons.insertPerson(person);
  }

  updatePerson(rowId: number, patch: PersonPatch): Promise<PersonRecord> {
    return this.tables.persons.updatePerson(rowId, patch);
  }

  deletePerson(rowId: number): Promise<number> {
    return this.tables.persons.deletePerson(rowId);
  }

  personsByKey(keys: readonly PersonKey[]): Promise<(PersonRecord | null)[]> {
    return this.tables.persons.personsByKey(keys);
  }

  personsByRowId(rowIds: readonly number[]): Promise<(PersonRecord | null)[]> {
    return this.tables.persons.personsByRowId(rowIds);
  }

  listPersons(
    libraryRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<PersonRecord>[]> {
    return this.tables.persons.listPersons(libraryRowIds, page, options);
  }

  insertFace(
    face: NewFace,
    idempotency?: { providerId: string; key: string; requestHash: string },
  ): Promise<FaceRecord> {
    return this.tables.faces.insertFace(face, idempotency);
  }

  facesByKey(keys: readonly FaceKey[]): Promise<(FaceRecord | null)[]> {
    return this.tables.faces.facesByKey(keys);
  }

  facesByRowId(rowIds: readonly number[]): Promise<(FaceRecord | null)[]> {
    return this.tables.faces.facesByRowId(rowIds);
  }

  listFaces(
    libraryRowId: number,
    filter: ResolvedFaceFilter,
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>> {
    return this.tables.faces.listFaces(libraryRowId, filter, page, options);
  }

  listFacesOfPersons(
    personRowIds: readonly number[],
    page: PageArgs,
    options: PageOptions = {},
  ): Promise<Page<FaceRecord>[]> {
    return this.tables.faces.listFacesOfPersons(personRowIds, page, options);
  }

  findFaces(libraryRowId: number, filter: ResolvedFaceFilter): Promise<FaceRecord[]> {
    return this.tables.faces.findFaces(libraryRowId, filter);
  }

  updateFace(rowId: number, patch: FacePatch): Promise<FaceRecord> {
    return this.tables.faces.updateFace(rowId, patch);
  }

  deleteFaces(rowIds: readonly number[]): Promise<DeletedFace[]> {
    return this.tables.faces.deleteFaces(rowIds);
  }

  imagesInUse(imageSha256s: readonly string[]): Promise<string[]> {
    return this.tables.faces.imagesInUse(imageSha256s);
  }

  faceDescriptors(
    libraryRowId: number,
    dimensions: number,
    options: { afterRowId?: number } = {},
  ): Promise<DescriptorMatrix> {
    return this.tables.descriptors.faceDescriptors(libraryRowId, dimensions, options);
  }

  countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number> {
    return this.tables.descriptors.countFaceDescriptors(libraryRowId, upToRowId);
  }

  faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]> {
    return this.tables.descriptors.faceDescriptorRowIds(libraryRowId, upToRowId);
  }

  claimIdempotencyKey(
    providerId: string,
    key: string,
    requestHash: string,
    staleAfterMs: number,
  ): Promise<IdempotencyClaim> {
    return this.tables.idempotency.claimIdempotencyKey(providerId, key, requestHash, staleAfterMs);
  }

  releaseIdempotencyClaim(providerId: string, key: string): Promise<void> {
    return this.tables.idempotency.releaseIdempotencyClaim(providerId, key);
  }

  getIdempotency(providerId: string, key: string): Promise<IdempotencyRecord | null> {
    return this.tables.idempotency.getIdempotency(providerId, key);
  }
}
