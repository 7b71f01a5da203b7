import type { AuditEntry } from '../../src/datasources/ledger/access-records';
import { runInAuditScope, type AuditScope } from '../../src/datasources/ledger/audit-scope';
import type { LedgerStore } from '../../src/datasources/ledger/ledger-store';
import { createTestLedger, LEDGER_BACKENDS, type TestLedger } from '../support/ledgers';

describe.each(LEDGER_BACKENDS)('access records in the %s ledger', (backend) => {
  let testLedger: TestLedger;
  let ledger: LedgerStore;
  beforeEach(async () => {
    testLedger = await createTestLedger(backend);
    ledger = testLedger.open();
    await ledger.migrate();
  });
  afterEach(async () => {
    await ledger.close();
    await testLedger.dispose();
  });

  const key = (id: string, sha: string) => ({
    id,
    name: `key ${id}`,
    sha256: sha.repeat(64),
    scopes: ['read' as const],
    providers: null,
    expiresAt: null,
  });

  describe('API keys', () => {
    test('are found by digest and id, listed newest first, and revoked once', async () => {
      const a = await ledger.access.insertApiKey(key('a', '1'));
      await ledger.access.insertApiKey({ ...key('b', '2'), scopes: ['admin'], providers: ['local'] });
      expect((await ledger.access.apiKeyBySha256('1'.repeat(64)))?.id).toBe('a');
      expect(await ledger.access.apiKeyBySha256('3'.repeat(64))).toBeNull();
      expect(await ledger.access.apiKeyById('b')).toMatchObject({
        scopes: ['admin'],
        providers: ['local'],
        revokedAt: null,
      });
      const page = await ledger.access.listApiKeys({ first: 1 });
      expect({ ids: page.items.map((k) => k.id), next: page.hasNextPage, total: page.totalCount }).toEqual({
        ids: ['b'],
        next: true,
        total: 2,
      });
      const rest = await ledger.access.listApiKeys({ first: 5, beforeRowId: page.items[0].rowId });
      expect(rest.items.map((k) => k.id)).toEqual(['a']);

      const first = await ledger.access.revokeApiKey('a', new Date('2026-12-01T00:00:00Z'));
      const again = await ledger.access.revokeApiKey('a', new Date('2026-12-02T00:00:00Z'));
      expect(again?.revokedAt).toEqual(first?.revokedAt);
      expect(await ledger.access.revokeApiKey('nope', new Date())).toBeNull();
      expect(a.createdAt).toBeInstanceOf(Date);
    });

    test('usable keys exclude revoked and expired ones', async () => {
      await ledger.access.insertApiKey(key('live', '1'));
      await ledger.access.insertApiKey({ ...key('old', '2'), expiresAt: new Date('2026-01-01T00:00:00Z') });
      await ledger.access.insertApiKey(key('gone', '3'));
      await ledger.access.revokeApiKey('gone', new Date('2026-06-01T00:00:00Z'));
      expect(await ledger.access.countUsableApiKeys(new Date('2026-12-05T00:00:00Z'))).toBe(1);
    });

    test('a use is recorded as lastUsedAt', async () => {
      await ledger.access.insertApiKey(key('a', '1'));
      await ledger.access.touchApiKey('a', new Date('2026-12-05T01:02:03Z'));
      expect((await ledger.access.apiKeyById('a'))?.lastUsedAt).toEqual(new Date('2026-12-05T01:02:03Z'));
    });
  });

  describe('audit log', () => {
    const event = (n: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
      at: new Date(Date.UTC(2026, 11, n)),
      actor: n % 2 ? 'k-odd' : 'k-even',
      operation: n % 3 ? 'registerFace' : 'deleteFaces',
      targetIds: [`L${n % 2}`, `F${n}`],
      outcome: 'RegisterFaceSuccess',
      clientAddress: '127.0.0.1',
      ...over,
    });

    beforeEach(async () => {
      for (let n = 1; n <= 9; n++) await ledger.access.insertAuditEvent(event(n));
    });

    test('pages newest first with every filter', async () => {
      const all = await ledger.access.listAuditEvents({}, { first: 4 });
      expect(all.items.map((e) => e.targetIds[1])).toEqual(['F9', 'F8', 'F7', 'F6']);
      expect({ next: all.hasNextPage, total: all.totalCount }).toEqual({ next: true, total: 9 });
      const next = await ledger.access.listAuditEvents({}, { first: 4, beforeRowId: all.items[3].rowId });
      expect(next.items.map((e) => e.targetIds[1])).toEqual(['F5', 'F4', 'F3', 'F2']);

      const ids = async (q: Parameters<typeof ledger.access.listAuditEvents>[0]) =>
        (await ledger.access.listAuditEvents(q, { first: 20 })).items.map((e) => e.targetIds[1]);
      expect(await ids({ actor: 'k-even' })).toEqual(['F8', 'F6', 'F4', 'F2']);
      expect(await ids({ operation: 'deleteFaces' })).toEqual(['F9', 'F6', 'F3']);
      expect(await ids({ targetId: 'L1', operation: 'deleteFaces' })).toEqual(['F9', 'F3']);
      expect(await ids({ since: new Date(Date.UTC(2026, 11, 7)) })).toEqual(['F9', 'F8', 'F7']);
      expect(await ids({ until: new Date(Date.UTC(2026, 11, 3)) })).toEqual(['F2', 'F1']);
    });

    test('retention deletes what is older than the cutoff, targets included', async () => {
      expect(await ledger.access.pruneAuditEvents(new Date(Date.UTC(2026, 11, 5)))).toBe(4);
      const left = await ledger.access.listAuditEvents({ targetId: 'F2' }, { first: 20 });
      expect(left.totalCount).toBe(0);
      expect((await ledger.access.listAuditEvents({}, { first: 20 })).totalCount).toBe(5);
    });
  });

  describe('audit rows of writes', () => {
    const scope = (): AuditScope => ({
      entry: { actor: 'k1', operation: 'createLibrary', targetIds: [], clientAddress: null },
      successOutcome: 'CreateLibrarySuccess',
      recorded: false,
    });
    const newLibrary = { providerId: 'local', name: 'staff', displayName: null, fieldSchema: [] };

    test('commit with the change they record, naming what it created', async () => {
      await runInAuditScope(scope(), () => ledger.insertLibrary(newLibrary));
      const events = await ledger.access.listAuditEvents({ operation: 'createLibrary' }, { first: 5 });
      expect(events.items).toMatchObject([
        { actor: 'k1', outcome: 'CreateLibrarySuccess', targetIds: [expect.any(String)] },
      ]);
    });

    test('roll back with a change that fails', async () => {
      await ledger.insertLibrary(newLibrary);
      const duplicate = runInAuditScope(scope(), () => ledger.insertLibrary(newLibrary));
      await expect(duplicate).rejects.toMatchObject({ detail: { type: 'AlreadyExistsError' } });
      expect((await ledger.access.listAuditEvents({}, { first: 5 })).totalCount).toBe(0);
    });
  });
});
