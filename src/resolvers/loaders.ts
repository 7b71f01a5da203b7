import DataLoader from 'dataloader';
import type { FaceRecord, LibraryRecord, Page, PageArgs, PersonRecord, ResolvedFaceFilter } from '../domain/model';
import type {
  FaceKey,
  LedgerStore,
  LibraryCounts,
  LibraryKey,
  PageOptions,
  PersonKey,
} from '../datasources/ledger/ledger-store';
import type { LibraryRecordsByVersion } from '../services/library-records';

export interface PagedKey {
  parentRowId: number;
  page: PageArgs;
  /** Count the matches too (only when the query selects totalCount). */
  withTotal: boolean;
}

export interface FilteredPageKey extends PagedKey {
  filter: ResolvedFaceFilter;
}

export type Loaders = ReturnType<typeof createLoaders>;

/** The ledger version the request read before its other ledger reads; the library records kept across requests. */
export interface KeptLibraries {
  version: string;
  libraries: LibraryRecordsByVersion;
}

// Every by-id lookup and every nested connection of a request goes through these, so a query's
// ledger round trips grow with its depth, not with the number of objects it returns.
export function createLoaders(ledger: LedgerStore, kept: KeptLibraries | null = null) {
  // Libraries kept at this request's version answer without a ledger read; what the ledger answers is kept.
  const keptOr = async <K>(
    keys: readonly K[],
    keptRecord: (libraries: LibraryRecordsByVersion, version: string, key: K) => LibraryRecord | undefined,
    read: (keys: readonly K[]) => Promise<(LibraryRecord | null)[]>,
  ): Promise<(LibraryRecord | null)[]> => {
    if (!kept) return read(keys);
    const found = keys.map((k) => keptRecord(kept.libraries, kept.version, k) ?? null);
    const missing = keys.filter((_, i) => found[i] === null);
    if (missing.length === 0) return found;
    const records = await read(missing);
    kept.libraries.keep(kept.version, records);
    let next = 0;
    return found.map((record) => record ?? records[next++]);
  };
  const libraryByRowId: DataLoader<number, LibraryRecord | null> = new DataLoader(async (rowIds) =>
    primeAll(
      await keptOr(
        rowIds,
        (l, v, rowId) => l.withRowId(v, rowId),
        (ids) => ledger.librariesByRowId(ids),
      ),
      (l) => libraryByKey.prime({ providerId: l.providerId, name: l.name }, l),
    ),
  );
  const libraryByKey: DataLoader<LibraryKey, LibraryRecord | null, string> = new DataLoader(
    async (keys) =>
      primeAll(
        await keptOr(
          keys,
          (l, v, key) => l.withKey(v, key),
          (ks) => ledger.librariesByKey(ks),
        ),
        (l) => libraryByRowId.prime(l.rowId, l),
      ),
    { cacheKeyFn: (k) => `${k.providerId}\u0000${k.name}` },
  );
  const personByRowId: DataLoader<number, PersonRecord | null> = new DataLoader(async (rowIds) =>
    primeAll(await ledger.personsByRowId(rowIds), (p) =>
      personByKey.prime({ libraryRowId: p.libraryRowId, externalId: p.externalId }, p),
    ),
  );
  const personByKey: DataLoader<PersonKey, PersonRecord | null, string> = new DataLoader(
    async (keys) => primeAll(await ledger.personsByKey(keys), (p) => personByRowId.prime(p.rowId, p)),
    { cacheKeyFn: (k) => `${k.libraryRowId}\u0000${k.externalId}` },
  );
  const faceByRowId: DataLoader<number, FaceRecord | null> = new DataLoader(async (rowIds) =>
    primeAll(await ledger.facesByRowId(rowIds), (f) =>
      faceByKey.prime({ libraryRowId: f.libraryRowId, vendorFaceId: f.vendorFaceId }, f),
    ),
  );
  const faceByKey: DataLoader<FaceKey, FaceRecord | null, string> = new DataLoader(
    async (keys) => primeAll(await ledger.facesByKey(keys), (f) => faceByRowId.prime(f.rowId, f)),
    { cacheKeyFn: (k) => `${k.libraryRowId}\u0000${k.vendorFaceId}` },
  );
  const libraryCounts = new DataLoader<number, LibraryCounts>((rowIds) => ledger.libraryCounts(rowIds));

  const personsOfLibrary = new DataLoader<PagedKey, Page<PersonRecord>, string>(
    (keys) =>
      batchByPage(keys, (ids, page, options) => ledger.listPersons(ids, page, options)).then((pages) =>
        primePages(pages, personByRowId),
      ),
    { cacheKeyFn: pagedCacheKey },
  );
  const facesOfPerson = new DataLoader<PagedKey, Page<FaceRecord>, string>(
    (keys) =>
      batchByPage(keys, (ids, page, options) => ledger.listFacesOfPersons(ids, page, options)).then((pages) =>
        primePages(pages, faceByRowId),
      ),
    { cacheKeyFn: pagedCacheKey },
  );
  // Filters differ from key to key, so each is its own ledger query; the loader still dedupes them.
  const facesOfLibrary = new DataLoader<FilteredPageKey, Page<FaceRecord>, string>(
    (keys) =>
      Promise.all(keys.map((k) => ledger.listFaces(k.parentRowId, k.filter, k.page, { withTotal: k.withTotal }))).then(
        (pages) => primePages(pages, faceByRowId),
      ),
    { cacheKeyFn: (k) => `${pagedCacheKey(k)}\u0000${JSON.stringify(k.filter)}` },
  );

  // Whether the gateway kept an image of a cloud face (Face.imageUrl): one query for a page of faces.
  const keptImage = new DataLoader<string, boolean>(async (digests) => {
    const present = new Set(await ledger.faceImages.keptImagesPresent(digests));
    return digests.map((digest) => present.has(digest));
  });

  return {
    libraryByRowId,
    libraryByKey,
    personByRowId,
    personByKey,
    faceByRowId,
    faceByKey,
    libraryCounts,
    personsOfLibrary,
    facesOfPerson,
    facesOfLibrary,
    keptImage,
  };
}

function primeAll<T>(records: (T | null)[], prime: (record: T) => unknown): (T | null)[] {
  for (const r of records) if (r) prime(r);
  return records;
}

function primePages<T extends { rowId: number }>(pages: Page<T>[], byRowId: DataLoader<number, T | null>): Page<T>[] {
  for (const page of pages) for (const item of page.items) byRowId.prime(item.rowId, item);
  return pages;
}

function pagedCacheKey(k: PagedKey): string {
  return `${k.parentRowId}\u0000${pageKey(k.page)}\u0000${k.withTotal}`;
}

function pageKey(page: PageArgs): string {
  return JSON.stringify([page.first, page.last, page.afterRowId, page.beforeRowId]);
}

/** Groups keys with the same paging arguments (and the same need of totals) into one batched ledger call each. */
async function batchByPage<T>(
  keys: readonly PagedKey[],
  load: (parentRowIds: number[], page: PageArgs, options: PageOptions) => Promise<Page<T>[]>,
): Promise<Page<T>[]> {
  const groups = new Map<string, { page: PageArgs; withTotal: boolean; indexes: number[] }>();
  keys.forEach((k, i) => {
    const id = `${pageKey(k.page)}\u0000${k.withTotal}`;
    const group = groups.get(id) ?? { page: k.page, withTotal: k.withTotal, indexes: [] };
    group.indexes.push(i);
    groups.set(id, group);
  });
  const results = new Array<Page<T>>(keys.length);
  await Promise.all(
    [...groups.values()].map(async ({ page, withTotal, indexes }) => {
      const pages = await load(
        indexes.map((i) => keys[i].parentRowId),
        page,
        { withTotal },
      );
      indexes.forEach((keyIndex, j) => (results[keyIndex] = pages[j]));
    }),
  );
  return results;
}
