import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FaceGraphError, type ErrorDetail } from '../../src/domain/errors';
import type { FieldDefinition, Page, PageArgs, PersonRecord, ResolvedFaceFilter } from '../../src/domain/model';
import { openLedger } from '../../src/datasources/ledger';
import type { LedgerStore, NewFace } from '../../src/datasources/ledger/ledger-store';
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/datasources/ledger/postgres/migrations';
import { PostgresLedger } from '../../src/datasources/ledger/postgres/postgres-ledger';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/datasources/ledger/sqlite/migrations';
import { SqliteLedger } from '../../src/datasources/ledger/sqlite/sqlite-ledger';
import {
  createPostgresSchema,
  createTestLedger,
  LEDGER_BACKENDS,
  type LedgerBackend,
  type TestLedger,
} from '../support/ledgers';

// The same behaviour on every backend: each test gets a fresh SQLite file or a fresh PostgreSQL schema.

let testLedger: TestLedger;
let ledger: LedgerStore;

async function openFresh(backend: LedgerBackend): Promise<void> {
  testLedger = await createTestLedger(backend, expect.getState().currentTestName ?? 'ledger');
  ledger = testLedger.open();
  await ledger.migrate();
}

async function closeAndDispose(): Promise<void> {
  await ledger.close();
  await testLedger.dispose();
}

/** A count through a connection of its own, under the store. */
async function countRows(sql: string): Promise<number> {
  const [row] = await testLedger.sql<{ n: number | string }>(sql);
  return Number(row!.n);
}

async function errorOf(promise: Promise<unknown>): Promise<ErrorDetail> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof FaceGraphError) return e.detail;
    throw e;
  }
  throw new Error('expected a FaceGraphError, nothing was thrown');
}

const SCHEMA: FieldDefinition[] = [
  { name: 'dept', type: 'STRING' },
  { name: 'level', type: 'INTEGER' },
  { name: 'badge', type: 'LONG' },
  { name: 'score', type: 'DOUBLE' },
  { name: 'vip', type: 'BOOLEAN' },
];

const library = (name = 'staff', providerId = 'local') =>
  ledger.insertLibrary({ providerId, name, displayName: null, fieldSchema: SCHEMA });

const person = (libraryRowId: number, externalId: string) =>
  ledger.insertPerson({ libraryRowId, externalId, name: null, userData: null });

const registration = (libraryRowId: number, vendorFaceId: string, more: Partial<NewFace> = {}): NewFace => ({
  libraryRowId,
  personRowId: null,
  vendorFaceId,
  externalImageId: null,
  fields: {},
  userData: null,
  boundingBox: null,
  imageSha256: null,
  ...more,
});

const face = (libraryRowId: number, vendorFaceId: string, more: Partial<NewFace> = {}) =>
  ledger.insertFace(registration(libraryRowId, vendorFaceId, more));

describe.each(LEDGER_BACKENDS)('the %s ledger', (backend) => {
  beforeEach(() => openFresh(backend));
  afterEach(closeAndDispose);

  describe('opening and migrating', () => {
    it('records every migration once, however often migrate runs', async () => {
      await ledger.migrate();
      await ledger.close();
      ledger = testLedger.open();
      await ledger.migrate();
      const rows = await testLedger.sql<{ version: number; name: string; applied_at: string | Date }>(
        'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
      );
      const migrations = testLedger.backend === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
      expect(rows.map((r) => [r.version, r.name])).toEqual(migrations.map((m) => [m.version, m.name]));
      expect(Number.isNaN(new Date(rows[0]!.applied_at).getTime())).toBe(false);
    });

    it('is ready only when open and migrated', async () => {
      const other = await createTestLedger(testLedger.backend, 'fresh');
      const fresh = other.open();
      try {
        expect(await fresh.isReady()).toBe(false);
        await fresh.migrate();
        expect(await fresh.isReady()).toBe(true);
      } finally {
        await fresh.close();
        await other.dispose();
      }
      expect(await fresh.isReady()).toBe(false);
    });

    it('keeps its data across a close and a reopen', async () => {
      const lib = await library();
      await face(lib.rowId, 'f1', { fields: { dept: 'sales' } });
      await ledger.close();
      ledger = testLedger.open();
      await ledger.migrate();
      const found = await ledger.findFaces(lib.rowId, { fields: { dept: 'sales' } });
      expect(found.map((f) => f.vendorFaceId)).toEqual(['f1']);
    });
  });

  describe('libraries', () => {
    it('stores a library with its field schema, vendor facts and creation time', async () => {
      const before = Date.now();
      const lib = await ledger.insertLibrary({
        providerId: 'az',
        name: 'group-1',
        displayName: 'Group one',
        fieldSchema: SCHEMA,
        vendorMeta: { kind: 'large' },
      });
      expect(lib).toEqual({
        rowId: expect.any(Number),
        providerId: 'az',
        name: 'group-1',
        displayName: 'Group one',
        fieldSchema: SCHEMA,
        vendorMeta: { kind: 'large' },
        createdAt: expect.any(Date),
      });
      expect(lib.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(await ledger.librariesByRowId([lib.rowId])).toEqual([lib]);
    });

    it('refuses a second library with the same name in the same provider', async () => {
      await library('staff', 'local');
      const detail = await errorOf(library('staff', 'local'));
      expect(detail).toMatchObject({ type: 'AlreadyExistsError', resource: 'LIBRARY', id: 'staff' });
      expect(detail.message).toBe("A library named 'staff' already exists in provider 'local'.");
    });

    it('allows the same library name in another provider', async () => {
      await library('staff', 'local');
      await expect(library('staff', 'hw')).resolves.toMatchObject({ providerId: 'hw', name: 'staff' });
    });

    it('finds libraries by key and by row id in key order with null for misses', async () => {
      const a = await library('a');
      const b = await library('b', 'hw');
      const byKey = await ledger.librariesByKey([
        { providerId: 'hw', name: 'b' },
        { providerId: 'local', name: 'nope' },
        { providerId: 'local', name: 'a' },
        { providerId: 'hw', name: 'b' },
      ]);
      expect(byKey.map((l) => l?.rowId ?? null)).toEqual([b.rowId, null, a.rowId, b.rowId]);
      const byRowId = await ledger.librariesByRowId([999, a.rowId, b.rowId]);
      expect(byRowId.map((l) => l?.name ?? null)).toEqual([null, 'a', 'b']);
      expect(await ledger.librariesByRowId([])).toEqual([]);
    });

    it('pages libraries in created order with a cursor, per provider or across all', async () => {
      const libs = [];
      for (const name of ['l1', 'l2', 'l3', 'l4', 'l5']) libs.push(await library(name));
      await library('other', 'hw');

      const first = await ledger.listLibraries(['local'], { first: 2 });
      expect(first.items.map((l) => l.name)).toEqual(['l1', 'l2']);
      expect(first).toMatchObject({ hasNextPage: true, totalCount: 5 });

      const last = await ledger.listLibraries(['local'], { first: 2, afterRowId: libs[3].rowId });
      expect(last.items.map((l) => l.name)).toEqual(['l5']);
      const both = await ledger.listLibraries(['local', 'hw'], { first: 10 });
      expect({ names: both.items.map((l) => l.name), total: both.totalCount }).toEqual({
        names: ['l1', 'l2', 'l3', 'l4', 'l5', 'other'],
        total: 6,
      });
      expect(last).toMatchObject({ hasNextPage: false, totalCount: 5 });

      const all = await ledger.listLibraries(null, { first: 10 });
      expect(all.items.map((l) => l.name)).toEqual(['l1', 'l2', 'l3', 'l4', 'l5', 'other']);
      expect(all).toMatchObject({ hasNextPage: false, totalCount: 6 });
    });

    it('pages libraries backward with last/before; each page tells whether pages lie before and after it', async () => {
      const libs = [];
      for (const name of ['l1', 'l2', 'l3', 'l4', 'l5']) libs.push(await library(name));
      await library('other', 'hw');
      const [l1, l2, , l4, l5] = libs.map((l) => l.rowId);
      const page = async (providerId: string | null, args: PageArgs) => {
        const { items, hasPreviousPage, hasNextPage, totalCount } = await ledger.listLibraries(
          providerId === null ? null : [providerId],
          args,
        );
        return { names: items.map((l) => l.name), hasPreviousPage, hasNextPage, totalCount };
      };
      const flags = (hasPreviousPage: boolean, hasNextPage: boolean) => ({
        hasPreviousPage,
        hasNextPage,
        totalCount: 5,
      });

      expect(await page('local', { last: 2 })).toEqual({ names: ['l4', 'l5'], ...flags(true, false) });
      expect(await page('local', { last: 2, beforeRowId: l4 })).toEqual({
        names: ['l2', 'l3'],
        ...flags(true, true),
      });
      expect(await page('local', { last: 2, beforeRowId: l2 })).toEqual({ names: ['l1'], ...flags(false, true) });
      expect(await page('local', { last: 2, beforeRowId: l1 })).toEqual({ names: [], ...flags(false, true) });
      expect(await page('local', { last: 0 })).toEqual({ names: [], ...flags(true, false) });
      const everyLibrary = ['l1', 'l2', 'l3', 'l4', 'l5', 'other'];
      expect(await page(null, { last: 10 })).toMatchObject({ names: everyLibrary, hasPreviousPage: false });
      const nothing = { names: [], hasPreviousPage: false, hasNextPage: false, totalCount: 0 };
      expect(await page('nobody', { last: 2 })).toEqual(nothing);

      // Forward pages say whether anything lies at or before their `after` cursor.
      expect(await page('local', { first: 2 })).toEqual({ names: ['l1', 'l2'], ...flags(false, true) });
      expect(await page('local', { first: 2, afterRowId: l2 })).toEqual({
        names: ['l3', 'l4'],
        ...flags(true, true),
      });
      expect(await page('local', { first: 2, afterRowId: l4 })).toEqual({ names: ['l5'], ...flags(true, false) });
      expect(await page('local', { first: 2, afterRowId: l5 })).toEqual({ names: [], ...flags(true, false) });

      // Both cursors: the rows between them. As in the Relay spec, `first` looks only at its end of the range...
      const between = { afterRowId: l1, beforeRowId: l5 };
      const l2ToL4 = ['l2', 'l3', 'l4'];
      expect(await page('local', { first: 10, ...between })).toEqual({ names: l2ToL4, ...flags(true, false) });
      // ...and `last` at its own.
      expect(await page('local', { last: 2, ...between })).toEqual({ names: ['l3', 'l4'], ...flags(true, true) });
    });

    it('counts faces and persons of several libraries in one statement, zero for unknown ones', async () => {
      const a = await library('a');
      const b = await library('b');
      const p = await person(a.rowId, 'p1');
      await face(a.rowId, 'f1', { personRowId: p.rowId });
      await face(a.rowId, 'f2');
      await face(b.rowId, 'f3');
      const before = ledger.queryCount();
      const counts = await ledger.libraryCounts([b.rowId, 999, a.rowId]);
      expect(ledger.queryCount() - before).toBe(1);
      expect(counts).toEqual([
        { faceCount: 1, personCount: 0 },
        { faceCount: 0, personCount: 0 },
        { faceCount: 2, personCount: 1 },
      ]);
    });

    it(
      'deletes a library with its persons, faces, ' + 'face fields and idempotency keys and returns the faces removed',
      async () => {
        const a = await library('a');
        const keep = await library('keep');
        const p = await person(a.rowId, 'p1');
        await face(a.rowId, 'f1', { personRowId: p.rowId, fields: { dept: 'x' } });
        await face(a.rowId, 'f2', { fields: { level: 2 } });
        await ledger.insertFace(registration(a.rowId, 'f3'), { providerId: 'local', key: 'k1', requestHash: 'h1' });
        const kept = await face(keep.rowId, 'k1', { fields: { dept: 'x' } });

        expect(await ledger.deleteLibrary(a.rowId)).toBe(3);

        expect(await ledger.librariesByRowId([a.rowId])).toEqual([null]);
        expect(await ledger.personsByRowId([p.rowId])).toEqual([null]);
        expect(await ledger.getIdempotency('local', 'k1')).toBeNull();
        expect(await countRows('SELECT count(*) AS n FROM faces')).toBe(1);
        expect(await countRows('SELECT count(*) AS n FROM face_fields')).toBe(1);
        expect(await ledger.facesByRowId([kept.rowId])).toEqual([kept]);
      },
    );

    it('refuses to delete a library that does not exist', async () => {
      expect(await errorOf(ledger.deleteLibrary(12345))).toMatchObject({
        type: 'NotFoundError',
        resource: 'LIBRARY',
        id: '12345',
      });
    });
  });

  describe('persons', () => {
    it('stores a person with its library coordinates', async () => {
      const lib = await library('staff', 'az');
      const p = await ledger.insertPerson({
        libraryRowId: lib.rowId,
        externalId: 'e-1',
        name: 'Ada',
        userData: '{"a":1}',
      });
      expect(p).toEqual({
        rowId: expect.any(Number),
        libraryRowId: lib.rowId,
        providerId: 'az',
        libraryName: 'staff',
        externalId: 'e-1',
        name: 'Ada',
        userData: '{"a":1}',
        createdAt: expect.any(Date),
      });
    });

    it('refuses a second person with the same external id in the same library', async () => {
      const lib = await library();
      await person(lib.rowId, 'e-1');
      const detail = await errorOf(person(lib.rowId, 'e-1'));
      expect(detail).toMatchObject({ type: 'AlreadyExistsError', resource: 'PERSON', id: 'e-1' });
      expect(detail.message).toBe("A person with external id 'e-1' already exists in library 'staff'.");
      const other = await library('other');
      await expect(person(other.rowId, 'e-1')).resolves.toMatchObject({ externalId: 'e-1' });
    });

    it('refuses a person in a library that does not exist', async () => {
      expect(await errorOf(person(777, 'e-1'))).toMatchObject({
        type: 'NotFoundError',
        resource: 'LIBRARY',
        id: '777',
      });
    });

    it('finds persons by key and by row id in key order with null for misses', async () => {
      const lib = await library();
      const p1 = await person(lib.rowId, 'p1');
      const p2 = await person(lib.rowId, 'p2');
      const byKey = await ledger.personsByKey([
        { libraryRowId: lib.rowId, externalId: 'p2' },
        { libraryRowId: lib.rowId + 1, externalId: 'p1' },
        { libraryRowId: lib.rowId, externalId: 'p1' },
      ]);
      expect(byKey.map((p) => p?.rowId ?? null)).toEqual([p2.rowId, null, p1.rowId]);
      expect((await ledger.personsByRowId([p2.rowId, -1, p1.rowId])).map((p) => p?.externalId ?? null)).toEqual([
        'p2',
        null,
        'p1',
      ]);
    });

    it('pages the persons of several libraries at once, each with its own next page and total', async () => {
      const a = await library('a');
      const b = await library('b');
      const empty = await library('empty');
      const aPersons = [];
      for (let i = 0; i < 3; i++) aPersons.push(await person(a.rowId, `a${i}`));
      await person(b.rowId, 'b0');

      const pages = await ledger.listPersons([b.rowId, a.rowId, empty.rowId], { first: 2 });
      expect(pages.map((p) => p.items.map((x) => x.externalId))).toEqual([['b0'], ['a0', 'a1'], []]);
      expect(pages.map((p) => [p.hasNextPage, p.totalCount])).toEqual([
        [false, 1],
        [true, 3],
        [false, 0],
      ]);

      const next = await ledger.listPersons([a.rowId], { first: 2, afterRowId: aPersons[1].rowId });
      expect(next[0].items.map((x) => x.externalId)).toEqual(['a2']);
      expect(next[0]).toMatchObject({ hasNextPage: false, totalCount: 3 });
    });

    it(
      'pages the persons of several libraries backward at once, ' + 'in one statement plus one for the totals',
      async () => {
        const a = await library('a');
        const b = await library('b');
        const empty = await library('empty');
        const aPersons = [];
        for (let i = 0; i < 3; i++) aPersons.push(await person(a.rowId, `a${i}`));
        await person(b.rowId, 'b0');
        const summary = (pages: Page<PersonRecord>[]) =>
          pages.map((p) => [p.items.map((x) => x.externalId), p.hasPreviousPage, p.hasNextPage, p.totalCount]);

        const before = ledger.queryCount();
        const newest = await ledger.listPersons([b.rowId, a.rowId, empty.rowId], { last: 2 });
        expect(ledger.queryCount() - before).toBe(2);
        expect(summary(newest)).toEqual([
          [['b0'], false, false, 1],
          [['a1', 'a2'], true, false, 3],
          [[], false, false, 0],
        ]);

        const older = await ledger.listPersons([a.rowId], { last: 2, beforeRowId: aPersons[1].rowId });
        expect(summary(older)).toEqual([[['a0'], false, true, 3]]);
        const forward = await ledger.listPersons([a.rowId, b.rowId], { first: 1, afterRowId: aPersons[0].rowId });
        expect(summary(forward)).toEqual([
          [['a1'], true, true, 3],
          [['b0'], false, false, 1],
        ]);
      },
    );

    it('lists persons of 20 libraries with as many statements as for 2', async () => {
      const libs = [];
      for (let i = 0; i < 20; i++) {
        const lib = await library(`lib${i}`);
        libs.push(lib.rowId);
        for (let j = 0; j < 3; j++) await person(lib.rowId, `p${j}`);
      }
      let before = ledger.queryCount();
      await ledger.listPersons(libs.slice(0, 2), { first: 2 });
      const forTwo = ledger.queryCount() - before;
      before = ledger.queryCount();
      const pages = await ledger.listPersons(libs, { first: 2 });
      const forTwenty = ledger.queryCount() - before;
      expect(forTwenty).toBe(forTwo);
      expect(forTwenty).toBe(2);
      expect(pages.every((p) => p.items.length === 2 && p.hasNextPage && p.totalCount === 3)).toBe(true);
    });
  });

  describe('library vendor facts', () => {
    it("replaces a library's vendorMeta and reads it back", async () => {
      const lib = await library();
      const updated = await ledger.updateLibraryMeta(lib.rowId, { kind: 'LargePersonGroup', needsTraining: true });
      expect(updated.vendorMeta).toEqual({ kind: 'LargePersonGroup', needsTraining: true });
      expect((await ledger.librariesByRowId([lib.rowId]))[0]?.vendorMeta).toEqual({
        kind: 'LargePersonGroup',
        needsTraining: true,
      });
      await expect(ledger.updateLibraryMeta(9999, {})).rejects.toMatchObject({
        detail: { type: 'NotFoundError', resource: 'LIBRARY' },
      });
    });
  });

  describe('changing libraries and persons', () => {
    it('changes the display name and appends fields, keeping the rest and merging vendor facts', async () => {
      const lib = await ledger.insertLibrary({
        providerId: 'hw',
        name: 'staff',
        displayName: 'Staff',
        fieldSchema: SCHEMA,
        vendorMeta: { kind: 'x', n: 1 },
      });
      const updated = await ledger.updateLibrary(lib.rowId, {
        displayName: 'All staff',
        addFields: [{ name: 'site', type: 'STRING' }],
        vendorMeta: { ledgerOnlyFields: ['site'] },
      });
      expect(updated).toEqual({
        ...lib,
        displayName: 'All staff',
        fieldSchema: [...SCHEMA, { name: 'site', type: 'STRING' }],
        vendorMeta: { kind: 'x', n: 1, ledgerOnlyFields: ['site'] },
      });
      expect((await ledger.librariesByRowId([lib.rowId]))[0]).toEqual(updated);
      const cleared = await ledger.updateLibrary(lib.rowId, { displayName: null });
      expect(cleared).toEqual({ ...updated, displayName: null });
      expect(await ledger.updateLibrary(lib.rowId, {})).toEqual(cleared);
    });

    it('refuses to add a field the library already declares, changing nothing', async () => {
      const lib = await library();
      const addFields: FieldDefinition[] = [
        { name: 'site', type: 'STRING' },
        { name: 'dept', type: 'STRING' },
      ];
      const detail = await errorOf(ledger.updateLibrary(lib.rowId, { displayName: 'x', addFields }));
      expect(detail).toMatchObject({ type: 'InvalidInputError', constraint: 'unique' });
      expect(detail.message).toMatch(/'dept'/);
      expect((await ledger.librariesByRowId([lib.rowId]))[0]).toEqual(lib);
    });

    it('refuses to change a library that does not exist', async () => {
      const detail = await errorOf(ledger.updateLibrary(9999, { displayName: 'x' }));
      expect(detail).toMatchObject({ type: 'NotFoundError', resource: 'LIBRARY' });
    });

    it('changes the given parts of a person, clears them with null, and leaves the rest', async () => {
      const lib = await library();
      const p = await ledger.insertPerson({
        libraryRowId: lib.rowId,
        externalId: 'e-1',
        name: 'Ada',
        userData: 'u1',
      });
      expect(await ledger.updatePerson(p.rowId, { name: 'Ada L.' })).toEqual({ ...p, name: 'Ada L.' });
      expect(await ledger.updatePerson(p.rowId, { userData: null })).toEqual({
        ...p,
        name: 'Ada L.',
        userData: null,
      });
      expect((await ledger.personsByRowId([p.rowId]))[0]).toEqual({ ...p, name: 'Ada L.', userData: null });
      const missing = await errorOf(ledger.updatePerson(9999, { name: 'x' }));
      expect(missing).toMatchObject({ type: 'NotFoundError', resource: 'PERSON' });
    });

    it('deletes a person with its faces, their field values and idempotency keys; counts the faces', async () => {
      const lib = await library();
      const p = await person(lib.rowId, 'p1');
      const other = await person(lib.rowId, 'p2');
      await ledger.insertFace(registration(lib.rowId, 'v1', { personRowId: p.rowId, fields: { dept: 'sales' } }), {
        providerId: 'local',
        key: 'key-1',
        requestHash: 'h',
      });
      await face(lib.rowId, 'v2', { personRowId: p.rowId, fields: { dept: 'sales' } });
      const kept = await face(lib.rowId, 'v3', { personRowId: other.rowId, fields: { dept: 'sales' } });
      const loose = await face(lib.rowId, 'v4');

      expect(await ledger.deletePerson(p.rowId)).toBe(2);
      expect(await ledger.personsByRowId([p.rowId, other.rowId])).toEqual([null, other]);
      expect((await ledger.findFaces(lib.rowId, {})).map((f) => f.rowId)).toEqual([kept.rowId, loose.rowId]);
      const sales = await ledger.findFaces(lib.rowId, { fields: { dept: 'sales' } });
      expect(sales.map((f) => f.rowId)).toEqual([kept.rowId]);
      expect(await ledger.getIdempotency('local', 'key-1')).toBeNull();
      expect(await ledger.libraryCounts([lib.rowId])).toEqual([{ faceCount: 2, personCount: 1 }]);
    });

    it('deletes a person without faces (0 removed) and refuses one that does not exist', async () => {
      const lib = await library();
      const p = await person(lib.rowId, 'p1');
      expect(await ledger.deletePerson(p.rowId)).toBe(0);
      expect(await errorOf(ledger.deletePerson(p.rowId))).toMatchObject({
        type: 'NotFoundError',
        resource: 'PERSON',
      });
    });
  });

  describe('faces', () => {
    it('stores a face with its fields, box, digest and status and reads it back by key and row id', async () => {
      const lib = await library();
      const p = await person(lib.rowId, 'p1');
      const stored = await face(lib.rowId, 'v-1', {
        personRowId: p.rowId,
        externalImageId: 'img-1',
        fields: { dept: 'sales', level: 3, vip: true },
        userData: 'note',
        boundingBox: { x: 1, y: 2, width: 30, height: 40 },
        imageSha256: 'ab'.repeat(32),
        status: 'PENDING',
      });
      expect(stored).toEqual({
        rowId: expect.any(Number),
        libraryRowId: lib.rowId,
        personRowId: p.rowId,
        personExternalId: 'p1',
        providerId: 'local',
        libraryName: 'staff',
        vendorFaceId: 'v-1',
        externalImageId: 'img-1',
        fields: { dept: 'sales', level: 3, vip: true },
        userData: 'note',
        boundingBox: { x: 1, y: 2, width: 30, height: 40 },
        imageSha256: 'ab'.repeat(32),
        status: 'PENDING',
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      });
      expect(await face(lib.rowId, 'v-2')).toMatchObject({ status: 'ACTIVE', boundingBox: null, fields: {} });
      expect(await ledger.facesByKey([{ libraryRowId: lib.rowId, vendorFaceId: 'v-1' }])).toEqual([stored]);
      expect(await ledger.facesByRowId([stored.rowId])).toEqual([stored]);
    });

    it('refuses a second face with the same vendor id in the same library', async () => {
      const lib = await library();
      await face(lib.rowId, 'v-1');
      const detail = await errorOf(face(lib.rowId, 'v-1'));
      expect(detail).toMatchObject({ type: 'AlreadyExistsError', resource: 'FACE', id: 'v-1' });
      expect(detail.message).toBe("A face with vendor id 'v-1' already exists in library 'staff'.");
    });

    it('refuses a face in a missing library, or with a person of another library', async () => {
      expect(await errorOf(face(4242, 'v'))).toMatchObject({ type: 'NotFoundError', resource: 'LIBRARY' });
      const a = await library('a');
      const b = await library('b');
      const stranger = await person(b.rowId, 'p');
      expect(await errorOf(face(a.rowId, 'v', { personRowId: stranger.rowId }))).toMatchObject({
        type: 'NotFoundError',
        resource: 'PERSON',
        id: String(stranger.rowId),
      });
    });

    it('finds faces by key and by row id in key order with null for misses, in one statement', async () => {
      const lib = await library();
      const f1 = await face(lib.rowId, 'v1');
      const f2 = await face(lib.rowId, 'v2');
      const before = ledger.queryCount();
      const byRowId = await ledger.facesByRowId([f2.rowId, 0, f1.rowId, f2.rowId]);
      expect(ledger.queryCount() - before).toBe(1);
      expect(byRowId.map((f) => f?.vendorFaceId ?? null)).toEqual(['v2', null, 'v1', 'v2']);
      const byKey = await ledger.facesByKey([
        { libraryRowId: lib.rowId, vendorFaceId: 'nope' },
        { libraryRowId: lib.rowId, vendorFaceId: 'v1' },
      ]);
      expect(byKey.map((f) => f?.rowId ?? null)).toEqual([null, f1.rowId]);
    });

    it('updates the given parts of a face, rewrites its field index and bumps updatedAt', async () => {
      const lib = await library();
      const f = await face(lib.rowId, 'v1', {
        externalImageId: 'img',
        fields: { dept: 'sales' },
        userData: 'u',
        status: 'PENDING',
      });
      await new Promise((resolve) => setTimeout(resolve, 5));

      const updated = await ledger.updateFace(f.rowId, { fields: { dept: 'ops', level: 7 }, status: 'ACTIVE' });
      expect(updated).toMatchObject({
        externalImageId: 'img',
        userData: 'u',
        fields: { dept: 'ops', level: 7 },
        status: 'ACTIVE',
      });
      expect(updated.createdAt).toEqual(f.createdAt);
      expect(updated.updatedAt.getTime()).toBeGreaterThan(f.updatedAt.getTime());
      expect(await ledger.findFaces(lib.rowId, { fields: { dept: 'sales' } })).toEqual([]);
      expect((await ledger.findFaces(lib.rowId, { fields: { dept: 'ops', level: 7 } })).map((x) => x.rowId)).toEqual([
        f.rowId,
      ]);

      const cleared = await ledger.updateFace(f.rowId, { externalImageId: null, userData: null, fields: {} });
      expect(cleared).toMatchObject({ externalImageId: null, userData: null, fields: {} });
      expect(await ledger.findFaces(lib.rowId, { fields: { dept: 'ops' } })).toEqual([]);
    });

    it('refuses to update a face that does not exist', async () => {
      expect(await errorOf(ledger.updateFace(31337, { userData: 'x' }))).toMatchObject({
        type: 'NotFoundError',
        resource: 'FACE',
        id: '31337',
      });
    });

    it('deletes faces by row id and returns the ones this call removed, with their images', async () => {
      const lib = await library();
      const f1 = await face(lib.rowId, 'v1', { fields: { dept: 'x' }, imageSha256: 'aa' });
      const f2 = await face(lib.rowId, 'v2');
      const f3 = await face(lib.rowId, 'v3');
      expect(await ledger.deleteFaces([f3.rowId, f1.rowId, 999])).toEqual([
        { rowId: f1.rowId, imageSha256: 'aa' },
        { rowId: f3.rowId, imageSha256: null },
      ]);
      // Already gone: a second delete of the same rows removes nothing and says so.
      expect(await ledger.deleteFaces([f1.rowId, f3.rowId])).toEqual([]);
      expect(await ledger.deleteFaces([])).toEqual([]);
      expect((await ledger.findFaces(lib.rowId, {})).map((f) => f.rowId)).toEqual([f2.rowId]);
      expect(await ledger.findFaces(lib.rowId, { fields: { dept: 'x' } })).toEqual([]);
    });

    it(
      'never gives a new face the row id of a deleted one: not after a delete here, ' +
        "a cascade, or another connection's",
      async () => {
        const lib = await library();
        const seen: number[] = [];
        const fresh = async (name: string) => {
          const f = await face(lib.rowId, name);
          expect(seen.every((id) => f.rowId > id)).toBe(true);
          seen.push(f.rowId);
          return f;
        };
        const newest = await fresh('a');
        await ledger.deleteFaces([newest.rowId]);
        const p = await person(lib.rowId, 'p');
        await ledger.insertFace(registration(lib.rowId, 'b', { personRowId: p.rowId })).then((f) => seen.push(f.rowId));
        await testLedger.sql(`DELETE FROM persons WHERE row_id = ?`, [p.rowId]); // cascades to its newest face
        const c = await fresh('c');
        await testLedger.sql(`DELETE FROM faces WHERE row_id = ?`, [c.rowId]);
        await fresh('d');
        const other2 = await library('other');
        const e = await ledger.insertFace(registration(other2.rowId, 'e'));
        seen.push(e.rowId);
        await ledger.deleteLibrary(other2.rowId);
        await fresh('f');
      },
    );

    it('removes the faces of a person when the person row is deleted', async () => {
      const lib = await library();
      const p = await person(lib.rowId, 'p1');
      await face(lib.rowId, 'v1', { personRowId: p.rowId });
      const other = await face(lib.rowId, 'v2');
      await testLedger.sql('DELETE FROM persons WHERE row_id = ?', [p.rowId]);
      expect((await ledger.findFaces(lib.rowId, {})).map((f) => f.rowId)).toEqual([other.rowId]);
    });

    it('tells which image digests some face still uses', async () => {
      const lib = await library();
      await face(lib.rowId, 'v1', { imageSha256: 'aa' });
      await face(lib.rowId, 'v2', { imageSha256: 'aa' });
      await face(lib.rowId, 'v3', { imageSha256: 'bb' });
      expect((await ledger.imagesInUse(['aa', 'cc', 'bb'])).sort()).toEqual(['aa', 'bb']);
      expect(await ledger.imagesInUse([])).toEqual([]);
    });

    it("reads a library's descriptors as one matrix in row order, skipping faces without one", async () => {
      const lib = await library();
      const d1 = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) / 3);
      const f1 = await face(lib.rowId, 'v1', { descriptor: d1 });
      await face(lib.rowId, 'v2');
      // A view at an odd offset into a larger buffer must store only its own bytes.
      const backing = Float32Array.from({ length: 131 }, (_, i) => i - 1);
      const f3 = await face(lib.rowId, 'v3', { descriptor: backing.subarray(1, 129) });
      const other = await library('other');
      await face(other.rowId, 'v4', { descriptor: d1.map((x) => -x) });

      const { rowIds, dimensions, matrix } = await ledger.faceDescriptors(lib.rowId, 128);
      expect(rowIds).toEqual([f1.rowId, f3.rowId]);
      expect(dimensions).toBe(128);
      expect(matrix).toBeInstanceOf(Float32Array);
      expect(Array.from(matrix.subarray(0, 128))).toEqual(Array.from(d1));
      expect(Array.from(matrix.subarray(128, 256))).toEqual(Array.from({ length: 128 }, (_, i) => i));
      expect(matrix.length).toBe(256);
      expect(await ledger.faceDescriptors(lib.rowId + 1000, 128)).toEqual({
        rowIds: [],
        dimensions: 128,
        matrix: new Float32Array(0),
      });
    });

    it('reads only the descriptors after a row when asked, and counts those up to a row', async () => {
      const lib = await library();
      const d = (x: number) => new Float32Array(128).fill(x);
      const f1 = await face(lib.rowId, 'v1', { descriptor: d(1) });
      await face(lib.rowId, 'v2');
      const f3 = await face(lib.rowId, 'v3', { descriptor: d(3) });
      const f4 = await face(lib.rowId, 'v4', { descriptor: d(4) });
      const after = await ledger.faceDescriptors(lib.rowId, 128, { afterRowId: f1.rowId });
      expect(after.rowIds).toEqual([f3.rowId, f4.rowId]);
      expect(Array.from(after.matrix.subarray(0, 1))).toEqual([3]);
      expect(Array.from(after.matrix.subarray(128, 129))).toEqual([4]);
      expect(await ledger.countFaceDescriptors(lib.rowId, f3.rowId)).toBe(2);
      expect(await ledger.countFaceDescriptors(lib.rowId, f4.rowId)).toBe(3);
      expect(await ledger.countFaceDescriptors(lib.rowId, 0)).toBe(0);
      expect(await ledger.faceDescriptorRowIds(lib.rowId, f3.rowId)).toEqual([f1.rowId, f3.rowId]);
      expect(await ledger.faceDescriptorRowIds(lib.rowId, f4.rowId)).toEqual([f1.rowId, f3.rowId, f4.rowId]);
    });

    it('refuses to read a descriptor of another length than asked, naming the face row', async () => {
      const lib = await library();
      const f = await face(lib.rowId, 'short', { descriptor: new Float32Array(64) });
      await expect(ledger.faceDescriptors(lib.rowId, 128)).rejects.toThrow(
        `Face row ${f.rowId} has a 256-byte descriptor; 512 bytes (128 floats) were expected.`,
      );
    });
  });

  describe('idempotency keys', () => {
    it('records the key together with the face', async () => {
      const lib = await library();
      const f = await ledger.insertFace(registration(lib.rowId, 'v1'), {
        providerId: 'local',
        key: 'key-1',
        requestHash: 'hash-1',
      });
      expect(await ledger.getIdempotency('local', 'key-1')).toEqual({
        providerId: 'local',
        key: 'key-1',
        requestHash: 'hash-1',
        faceRowId: f.rowId,
        createdAt: expect.any(Date),
      });
      expect(await ledger.getIdempotency('hw', 'key-1')).toBeNull();
    });

    it('refuses a used key as a conflict and writes neither the face nor the key', async () => {
      const lib = await library();
      await ledger.insertFace(registration(lib.rowId, 'v1'), {
        providerId: 'local',
        key: 'key-1',
        requestHash: 'hash-1',
      });
      const detail = await errorOf(
        ledger.insertFace(registration(lib.rowId, 'v2'), {
          providerId: 'local',
          key: 'key-1',
          requestHash: 'hash-2',
        }),
      );
      expect(detail).toMatchObject({ type: 'ConflictError', reason: 'IDEMPOTENCY_KEY_IN_USE' });
      expect(await ledger.facesByKey([{ libraryRowId: lib.rowId, vendorFaceId: 'v2' }])).toEqual([null]);
      expect((await ledger.getIdempotency('local', 'key-1'))?.requestHash).toBe('hash-1');
    });

    it('writes no key when the face is refused', async () => {
      const lib = await library();
      await face(lib.rowId, 'v1');
      await errorOf(
        ledger.insertFace(registration(lib.rowId, 'v1'), { providerId: 'local', key: 'key-2', requestHash: 'h' }),
      );
      expect(await ledger.getIdempotency('local', 'key-2')).toBeNull();
    });

    it('forgets the key when its face is deleted', async () => {
      const lib = await library();
      const f = await ledger.insertFace(registration(lib.rowId, 'v1'), {
        providerId: 'local',
        key: 'key-1',
        requestHash: 'h',
      });
      await ledger.deleteFaces([f.rowId]);
      expect(await ledger.getIdempotency('local', 'key-1')).toBeNull();
    });
  });

  describe('face filters and paging', () => {
    let libRowId: number;
    let ids: Record<string, number>;
    let alice: number;
    let bob: number;

    beforeEach(async () => {
      const lib = await library();
      libRowId = lib.rowId;
      alice = (await person(libRowId, 'alice')).rowId;
      bob = (await person(libRowId, 'bob')).rowId;
      ids = {};
      const rows: [string, Partial<NewFace>][] = [
        [
          'f1',
          {
            personRowId: alice,
            externalImageId: 'img-a',
            fields: { dept: 'sales', level: 3, vip: true, score: 0.5 },
          },
        ],
        ['f2', { personRowId: alice, externalImageId: 'img-b', fields: { dept: 'sales', level: 4, vip: false } }],
        [
          'f3',
          { personRowId: bob, externalImageId: 'img-a', fields: { dept: 'ops', level: 3, badge: 9007199254740991 } },
        ],
        ['f4', { fields: { dept: '3', score: 2 } }],
        ['f5', { externalImageId: 'img-a' }],
      ];
      for (const [vendorFaceId, more] of rows) ids[vendorFaceId] = (await face(libRowId, vendorFaceId, more)).rowId;
      const other = await library('other');
      await face(other.rowId, 'f1', { externalImageId: 'img-a', fields: { dept: 'sales' } });
    });

    const match = async (filter: Parameters<LedgerStore['findFaces']>[1]) =>
      (await ledger.findFaces(libRowId, filter)).map((f) => f.vendorFaceId);

    it('matches every face of the library, in created order, when the filter is empty', async () => {
      expect(await match({})).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    });

    it('matches by vendor face ids, and an empty id list matches nothing', async () => {
      expect(await match({ vendorFaceIds: ['f3', 'f1', 'nope'] })).toEqual(['f1', 'f3']);
      expect(await match({ vendorFaceIds: [] })).toEqual([]);
    });

    it('matches by external image id', async () => {
      expect(await match({ externalImageId: 'img-a' })).toEqual(['f1', 'f3', 'f5']);
    });

    it('matches by person', async () => {
      expect(await match({ personRowId: alice })).toEqual(['f1', 'f2']);
      expect(await match({ personRowId: bob })).toEqual(['f3']);
    });

    it('matches custom fields by type and value: strings, integers, longs, doubles and booleans', async () => {
      expect(await match({ fields: { dept: 'sales' } })).toEqual(['f1', 'f2']);
      expect(await match({ fields: { level: 3 } })).toEqual(['f1', 'f3']);
      expect(await match({ fields: { badge: 9007199254740991 } })).toEqual(['f3']);
      expect(await match({ fields: { score: 0.5 } })).toEqual(['f1']);
      expect(await match({ fields: { score: 2.0 } })).toEqual(['f4']);
      expect(await match({ fields: { vip: true } })).toEqual(['f1']);
      expect(await match({ fields: { vip: false } })).toEqual(['f2']);
    });

    it('never confuses a string with a number or a boolean', async () => {
      expect(await match({ fields: { dept: 3 } })).toEqual([]);
      expect(await match({ fields: { dept: '3' } })).toEqual(['f4']);
      expect(await match({ fields: { level: '3' } })).toEqual([]);
      expect(await match({ fields: { vip: 1 } })).toEqual([]);
    });

    it('requires every part of a combined filter to match', async () => {
      expect(await match({ externalImageId: 'img-a', fields: { level: 3 } })).toEqual(['f1', 'f3']);
      expect(await match({ externalImageId: 'img-a', fields: { level: 3, dept: 'sales' } })).toEqual(['f1']);
      expect(await match({ personRowId: alice, fields: { vip: false } })).toEqual(['f2']);
      expect(await match({ vendorFaceIds: ['f1', 'f2', 'f3'], personRowId: alice, externalImageId: 'img-b' })).toEqual([
        'f2',
      ]);
      expect(await match({ personRowId: bob, fields: { dept: 'sales' } })).toEqual([]);
    });

    it('pages filtered faces with a cursor and counts all matches regardless of the cursor', async () => {
      const page1 = await ledger.listFaces(libRowId, { externalImageId: 'img-a' }, { first: 2 });
      expect(page1.items.map((f) => f.vendorFaceId)).toEqual(['f1', 'f3']);
      expect(page1).toMatchObject({ hasNextPage: true, totalCount: 3 });
      const page2 = await ledger.listFaces(libRowId, { externalImageId: 'img-a' }, { first: 2, afterRowId: ids.f3 });
      expect(page2.items.map((f) => f.vendorFaceId)).toEqual(['f5']);
      expect(page2).toMatchObject({ hasNextPage: false, totalCount: 3 });
      const none = await ledger.listFaces(libRowId, {}, { first: 0 });
      expect(none).toMatchObject({ items: [], hasNextPage: true, totalCount: 5 });
    });

    it('pages every kind of filter exactly as findFaces matches it, with the same total on each page', async () => {
      const filters: Parameters<LedgerStore['findFaces']>[1][] = [
        {},
        { fields: { dept: 'sales' } },
        { fields: { level: 3 } },
        { fields: { level: 3, dept: 'sales' } },
        { fields: { dept: 'sales', level: 3 } },
        { fields: { dept: 'nobody' } },
        { fields: { level: 3 }, externalImageId: 'img-a' },
        { fields: { dept: 'sales' }, personRowId: alice },
        { fields: { dept: 'sales' }, personRowId: bob },
        { fields: { level: 3 }, vendorFaceIds: ['f3', 'f5'] },
        { externalImageId: 'img-a', personRowId: alice },
      ];
      for (const filter of filters) {
        const expected = await match(filter);
        for (const first of [1, 2, 50]) {
          const seen: string[] = [];
          let afterRowId: number | undefined;
          for (;;) {
            const page = await ledger.listFaces(libRowId, filter, { first, afterRowId });
            expect(page.totalCount).toBe(expected.length);
            const uncounted = await ledger.listFaces(libRowId, filter, { first, afterRowId }, { withTotal: false });
            expect({ items: uncounted.items, hasNextPage: uncounted.hasNextPage }).toEqual({
              items: page.items,
              hasNextPage: page.hasNextPage,
            });
            seen.push(...page.items.map((f) => f.vendorFaceId));
            if (!page.hasNextPage) break;
            afterRowId = page.items[page.items.length - 1]!.rowId;
          }
          expect({ filter, first, seen }).toEqual({ filter, first, seen: expected });
        }
      }
    });

    it('skips the count when asked to, with one statement less', async () => {
      let before = ledger.queryCount();
      await ledger.listFaces(libRowId, { fields: { dept: 'sales' } }, { first: 1 });
      const counted = ledger.queryCount() - before;
      before = ledger.queryCount();
      const page = await ledger.listFaces(libRowId, { fields: { dept: 'sales' } }, { first: 1 }, { withTotal: false });
      expect(ledger.queryCount() - before).toBe(counted - 1);
      expect(page).toMatchObject({ totalCount: 0, hasNextPage: true });
    });

    it('pages the faces of several persons at once, each with its own next page and total', async () => {
      const pages = await ledger.listFacesOfPersons([bob, alice, 999], { first: 1 });
      expect(pages.map((p) => p.items.map((f) => f.vendorFaceId))).toEqual([['f3'], ['f1'], []]);
      expect(pages.map((p) => [p.hasNextPage, p.totalCount])).toEqual([
        [false, 1],
        [true, 2],
        [false, 0],
      ]);
      const next = await ledger.listFacesOfPersons([alice], { first: 1, afterRowId: ids.f1 });
      expect(next[0].items.map((f) => f.vendorFaceId)).toEqual(['f2']);
      expect(next[0]).toMatchObject({ hasNextPage: false, totalCount: 2 });
    });

    it('pages persons, faces of persons and libraries without counting when asked, one statement less', async () => {
      const count = async <T>(run: () => Promise<T>) => {
        const before = ledger.queryCount();
        const result = await run();
        return { result, statements: ledger.queryCount() - before };
      };
      const strip = (pages: { items: unknown[]; hasNextPage: boolean }[]) =>
        pages.map((p) => ({ items: p.items, hasNextPage: p.hasNextPage }));

      const persons = await count(() => ledger.listPersons([libRowId], { first: 1 }));
      const personsUncounted = await count(() => ledger.listPersons([libRowId], { first: 1 }, { withTotal: false }));
      expect(strip(personsUncounted.result)).toEqual(strip(persons.result));
      expect(persons.result[0]!.totalCount).toBe(2);
      expect(personsUncounted.result[0]!.totalCount).toBe(0);
      expect(personsUncounted.statements).toBe(persons.statements - 1);

      const faces = await count(() => ledger.listFacesOfPersons([alice, bob], { first: 1 }));
      const facesUncounted = await count(() =>
        ledger.listFacesOfPersons([alice, bob], { first: 1 }, { withTotal: false }),
      );
      expect(strip(facesUncounted.result)).toEqual(strip(faces.result));
      expect(faces.result.map((p) => p.totalCount)).toEqual([2, 1]);
      expect(facesUncounted.statements).toBe(faces.statements - 1);

      const libraries = await count(() => ledger.listLibraries(['local'], { first: 1 }));
      const librariesUncounted = await count(() => ledger.listLibraries(['local'], { first: 1 }, { withTotal: false }));
      expect(strip([librariesUncounted.result])).toEqual(strip([libraries.result]));
      expect(libraries.result.totalCount).toBe(2);
      expect(librariesUncounted.statements).toBe(libraries.statements - 1);
    });

    it('pages faces backward with last/before, with filters, at both ends and empty', async () => {
      const page = async (filter: ResolvedFaceFilter, args: PageArgs) => {
        const { items, hasPreviousPage, hasNextPage, totalCount } = await ledger.listFaces(libRowId, filter, args);
        return { ids: items.map((f) => f.vendorFaceId), hasPreviousPage, hasNextPage, totalCount };
      };
      const flags = (hasPreviousPage: boolean, hasNextPage: boolean, totalCount: number) => ({
        hasPreviousPage,
        hasNextPage,
        totalCount,
      });
      expect(await page({}, { last: 2 })).toEqual({ ids: ['f4', 'f5'], ...flags(true, false, 5) });
      expect(await page({}, { last: 0 })).toEqual({ ids: [], ...flags(true, false, 5) });

      const imgA = { externalImageId: 'img-a' };
      expect(await page(imgA, { last: 2 })).toEqual({ ids: ['f3', 'f5'], ...flags(true, false, 3) });
      expect(await page(imgA, { last: 2, beforeRowId: ids.f3 })).toEqual({ ids: ['f1'], ...flags(false, true, 3) });

      // A custom field drives the query through its index, backward too.
      const sales = { fields: { dept: 'sales' } };
      expect(await page(sales, { last: 1 })).toEqual({ ids: ['f2'], ...flags(true, false, 2) });
      expect(await page(sales, { last: 1, beforeRowId: ids.f2 })).toEqual({ ids: ['f1'], ...flags(false, true, 2) });
      expect(await page(sales, { last: 1, beforeRowId: ids.f1 })).toEqual({ ids: [], ...flags(false, true, 2) });
      expect(await page({ fields: { level: 3 }, externalImageId: 'img-a' }, { last: 1 })).toMatchObject({
        ids: ['f3'],
        hasPreviousPage: true,
        hasNextPage: false,
      });
      expect(await page({ fields: { dept: 'nobody' } }, { last: 2 })).toEqual({ ids: [], ...flags(false, false, 0) });
      // The row on the far side of a cursor must match the filter too: f4 and f5 lie after f2 but are not sales.
      expect(await page(sales, { first: 5, afterRowId: ids.f2 })).toMatchObject({ ids: [], hasPreviousPage: true });
      const salesBeforeF3 = await page(sales, { last: 5, beforeRowId: ids.f3 });
      expect(salesBeforeF3).toMatchObject({ ids: ['f1', 'f2'], hasNextPage: false });
    });

    it('pages every kind of filter both ways exactly as findFaces matches it, with honest page flags', async () => {
      const filters: ResolvedFaceFilter[] = [
        {},
        { fields: { dept: 'sales' } },
        { fields: { level: 3 } },
        { fields: { level: 3, dept: 'sales' } },
        { fields: { dept: 'nobody' } },
        { fields: { level: 3 }, externalImageId: 'img-a' },
        { fields: { dept: 'sales' }, personRowId: alice },
        { fields: { level: 3 }, vendorFaceIds: ['f3', 'f5'] },
        { externalImageId: 'img-a', personRowId: alice },
      ];
      for (const filter of filters) {
        const expected = await match(filter);
        for (const size of [1, 2, 50]) {
          const forward: { ids: string[]; hasPreviousPage: boolean }[] = [];
          let afterRowId: number | undefined;
          for (;;) {
            const page = await ledger.listFaces(libRowId, filter, { first: size, afterRowId });
            forward.push({ ids: page.items.map((f) => f.vendorFaceId), hasPreviousPage: page.hasPreviousPage });
            if (!page.hasNextPage) break;
            afterRowId = page.items[page.items.length - 1]!.rowId;
          }
          const backward: { ids: string[]; hasNextPage: boolean }[] = [];
          let beforeRowId: number | undefined;
          for (;;) {
            const page = await ledger.listFaces(libRowId, filter, { last: size, beforeRowId }, { withTotal: false });
            backward.unshift({ ids: page.items.map((f) => f.vendorFaceId), hasNextPage: page.hasNextPage });
            if (!page.hasPreviousPage) break;
            beforeRowId = page.items[0]!.rowId;
          }
          const chunks = (from: 'start' | 'end') => {
            const out: string[][] = [];
            const rest = [...expected];
            while (rest.length > 0) out.push(from === 'start' ? rest.splice(0, size) : rest.splice(-size, size));
            return from === 'start' ? out : out.reverse();
          };
          const label = { filter, size };
          expect({ ...label, pages: forward.map((p) => p.ids).filter((ids) => ids.length > 0) }).toEqual({
            ...label,
            pages: chunks('start'),
          });
          expect({ ...label, flags: forward.map((p) => p.hasPreviousPage) }).toEqual({
            ...label,
            flags: forward.map((_, i) => i > 0),
          });
          expect({ ...label, pages: backward.map((p) => p.ids).filter((ids) => ids.length > 0) }).toEqual({
            ...label,
            pages: chunks('end'),
          });
          expect({ ...label, flags: backward.map((p) => p.hasNextPage) }).toEqual({
            ...label,
            flags: backward.map((_, i) => i < backward.length - 1),
          });
        }
      }
    });

    it('pages the faces of several persons backward at once, each with its own flags', async () => {
      const before = ledger.queryCount();
      const pages = await ledger.listFacesOfPersons([bob, alice, 999], { last: 1 });
      expect(ledger.queryCount() - before).toBe(2);
      const summary = pages.map((p) => [
        p.items.map((f) => f.vendorFaceId),
        p.hasPreviousPage,
        p.hasNextPage,
        p.totalCount,
      ]);
      expect(summary).toEqual([
        [['f3'], false, false, 1],
        [['f2'], true, false, 2],
        [[], false, false, 0],
      ]);
      const older = await ledger.listFacesOfPersons([alice], { last: 1, beforeRowId: ids.f2 }, { withTotal: false });
      expect(older[0]).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
      expect(older[0].items.map((f) => f.vendorFaceId)).toEqual(['f1']);
    });

    it('lists faces of 20 persons with as many statements as for 2', async () => {
      const persons = [];
      for (let i = 0; i < 20; i++) {
        const p = await person(libRowId, `many-${i}`);
        persons.push(p.rowId);
        for (let j = 0; j < 3; j++) await face(libRowId, `many-${i}-${j}`, { personRowId: p.rowId });
      }
      let before = ledger.queryCount();
      await ledger.listFacesOfPersons(persons.slice(0, 2), { first: 2 });
      const forTwo = ledger.queryCount() - before;
      before = ledger.queryCount();
      const pages = await ledger.listFacesOfPersons(persons, { first: 2 });
      const forTwenty = ledger.queryCount() - before;
      expect(forTwenty).toBe(forTwo);
      expect(forTwenty).toBe(2);
      expect(pages.every((p) => p.items.length === 2 && p.hasNextPage && p.totalCount === 3)).toBe(true);
    });
  });

  describe('change version', () => {
    it("stays the same across reads and changes with every write, ours or another connection's", async () => {
      const lib = await library();
      const v0 = await ledger.changeVersion();
      await ledger.listFaces(lib.rowId, {}, { first: 10 });
      await ledger.faceDescriptors(lib.rowId, 128);
      expect(await ledger.changeVersion()).toBe(v0);

      const f = await face(lib.rowId, 'f1');
      const v1 = await ledger.changeVersion();
      expect(v1).not.toBe(v0);
      await ledger.deleteFaces([f.rowId]);
      const v2 = await ledger.changeVersion();
      expect(v2).not.toBe(v1);

      // Writes that read back what they wrote (INSERT/UPDATE ... RETURNING) count too.
      await ledger.updateLibrary(lib.rowId, { displayName: 'renamed' });
      const v3 = await ledger.changeVersion();
      expect(v3).not.toBe(v2);
      await ledger.updateLibraryMeta(lib.rowId, { needsTraining: true });
      const v4 = await ledger.changeVersion();
      expect(v4).not.toBe(v3);
      await library('another');
      const v5 = await ledger.changeVersion();
      expect(v5).not.toBe(v4);

      await testLedger.sql(`DELETE FROM libraries WHERE row_id = ?`, [lib.rowId]);
      expect(await ledger.changeVersion()).not.toBe(v5);
    });

    it("changes with writes whose row comes back (UPDATE ... RETURNING): a face, a library's facts", async () => {
      const lib = await library();
      const f = await face(lib.rowId, 'f1');
      const v0 = await ledger.changeVersion();
      await ledger.updateFace(f.rowId, { externalImageId: 'img-2' });
      const v1 = await ledger.changeVersion();
      expect(v1).not.toBe(v0);
      await ledger.updateLibraryMeta(lib.rowId, { needsTraining: false });
      expect(await ledger.changeVersion()).not.toBe(v1);
    });
  });
});

describe('the SQLite ledger', () => {
  let dir: string;
  let file: string;
  let sqlite: SqliteLedger;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-sqlite-'));
    file = path.join(dir, 'ledger.db');
    sqlite = SqliteLedger.open(file);
    await sqlite.migrate();
  });

  afterEach(async () => {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('openLedger creates the parent directory, the file and the schema from a relative sqlite: URL', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await openLedger('sqlite:./nested/deeper/facegraph.db');
      expect(fs.existsSync(path.join(dir, 'nested/deeper/facegraph.db'))).toBe(true);
      expect(await store.isReady()).toBe(true);
      await store.close();
    } finally {
      process.chdir(cwd);
    }
  });

  it('openLedger opens an in-memory ledger for sqlite::memory:', async () => {
    const store = await openLedger('sqlite::memory:');
    expect(await store.isReady()).toBe(true);
    await store.close();
  });

  it('openLedger refuses other URL schemes, naming the ones it takes', async () => {
    const refusal = openLedger('mysql://db/x');
    await expect(refusal).rejects.toThrow(/Unsupported ledger URL scheme 'mysql:'/);
    await expect(refusal).rejects.toThrow(
      /"sqlite:<path>".*"sqlite::memory:".*"postgres:\/\/user@host:5432\/database"/,
    );
  });

  // PRAGMAs and the write-ahead log are SQLite's own.
  it('runs in WAL mode with foreign keys enforced', () => {
    expect(sqlite.pragma('journal_mode')).toBe('wal');
    expect(sqlite.pragma('foreign_keys')).toBe(1);
    expect(sqlite.pragma('synchronous')).toBe(1);
    expect(Number(sqlite.pragma('busy_timeout'))).toBeGreaterThan(0);
    const db = new Database(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('checkpoints the write-ahead log into the database file on close', async () => {
    const lib = await sqlite.insertLibrary({
      providerId: 'local',
      name: 'staff',
      displayName: null,
      fieldSchema: SCHEMA,
    });
    await sqlite.insertFace(registration(lib.rowId, 'v1'));
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    await sqlite.close();
    expect(!fs.existsSync(`${file}-wal`) || fs.statSync(`${file}-wal`).size === 0).toBe(true);
    expect(await sqlite.isReady()).toBe(false);
  });
});

describe('the PostgreSQL ledger', () => {
  it('migrates once when several replicas start together on a fresh schema', async () => {
    const schema = await createPostgresSchema();
    const replicas = Array.from({ length: 5 }, () => PostgresLedger.open(schema.url, { poolSize: 2 }));
    try {
      await Promise.all(replicas.map((replica) => replica.migrate()));
      for (const replica of replicas) expect(await replica.isReady()).toBe(true);
      const lib = await replicas[0]!.insertLibrary({
        providerId: 'local',
        name: 'x',
        displayName: null,
        fieldSchema: [],
      });
      expect((await replicas[4]!.librariesByRowId([lib.rowId]))[0]?.name).toBe('x');
      const applied = await schemaRows<{ version: number; times: string }>(
        schema.url,
        'SELECT version, count(*) AS times FROM schema_migrations GROUP BY version ORDER BY version',
      );
      expect(applied.map((r) => [r.version, Number(r.times)])).toEqual(POSTGRES_MIGRATIONS.map((m) => [m.version, 1]));
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await schema.drop();
    }
  });

  it('keeps answering reads prepared on its connections after another replica migrates their tables', async () => {
    // Reads on the pool are prepared statements; a migration that changes what one returns (here a column added
    // under `SELECT *`) makes PostgreSQL refuse the prepared statement on every connection that has it.
    const schema = await createPostgresSchema();
    const store = PostgresLedger.open(schema.url, { poolSize: 2 });
    try {
      await store.migrate();
      const key = {
        id: 'k1',
        name: 'ci',
        sha256: 'a'.repeat(64),
        scopes: ['read' as const],
        providers: null,
        expiresAt: null,
      };
      await store.access.insertApiKey(key);
      // Both connections busy at once, so each of them prepares the read.
      const before = await Promise.all([1, 2, 3, 4].map(() => store.access.apiKeyBySha256(key.sha256)));
      expect(before.map((k) => k?.id)).toEqual(['k1', 'k1', 'k1', 'k1']);
      expect(store.poolStats().total).toBe(2);
      await schemaRows(schema.url, 'ALTER TABLE api_keys ADD COLUMN note text');
      const after = await Promise.all([1, 2, 3, 4].map(() => store.access.apiKeyBySha256(key.sha256)));
      expect(after.map((k) => k?.id)).toEqual(['k1', 'k1', 'k1', 'k1']);
      expect(await store.access.apiKeyBySha256(key.sha256)).toMatchObject({ id: 'k1', name: 'ci' });
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it('openLedger opens and migrates a postgres:// URL, and ends its pool on close', async () => {
    const schema = await createPostgresSchema();
    try {
      const store = await openLedger(schema.url, { poolSize: 3 });
      expect(await store.isReady()).toBe(true);
      await store.close();
      expect(await store.isReady()).toBe(false);
    } finally {
      await schema.drop();
    }
  });

  it('openLedger says where it could not connect without echoing the user or password', async () => {
    const attempt = openLedger('postgres://facegraph:s3cret@127.0.0.1:1/facegraph');
    await expect(attempt).rejects.toThrow(/Could not open the PostgreSQL ledger \(127\.0\.0\.1:1\/facegraph\)/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it('announces every committed write on the facegraph_ledger channel with the new change version', async () => {
    const schema = await createPostgresSchema();
    const store = PostgresLedger.open(schema.url, { poolSize: 2 });
    const { Client } = await import('pg');
    const listener = new Client({ connectionString: schema.url });
    try {
      await store.migrate();
      await listener.connect();
      const payloads: string[] = [];
      listener.on('notification', (n) => payloads.push(n.payload ?? ''));
      await listener.query('LISTEN facegraph_ledger');
      const lib = await store.insertLibrary({ providerId: 'local', name: 'x', displayName: null, fieldSchema: [] });
      const afterInsert = await store.changeVersion();
      await store.insertFace(registration(lib.rowId, 'f1', { fields: { dept: 'a' } }));
      const afterFace = await store.changeVersion();
      // Reads and an API key's last use (no cached answer depends on it) announce nothing.
      await store.listFaces(lib.rowId, {}, { first: 5 });
      await store.access.touchApiKey('nobody', new Date());
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(payloads).toEqual([afterInsert, afterFace]);
      expect(await store.changeVersion()).toBe(afterFace);
    } finally {
      await listener.end();
      await store.close();
      await schema.drop();
    }
  });
});

async function schemaRows<T>(url: string, sql: string): Promise<T[]> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
