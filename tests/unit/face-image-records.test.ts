import type { LedgerStore } from '../../src/datasources/ledger/ledger-store';
import { createTestLedger, LEDGER_BACKENDS, type TestLedger } from '../support/ledgers';

// The ledger's part of Face.imageUrl (migration 5), the same on both backends: one signing key for every store on
// the ledger, and kept images by digest.

describe.each(LEDGER_BACKENDS)('face image records on %s', (backend) => {
  let testLedger: TestLedger;
  const stores: LedgerStore[] = [];
  const open = async () => {
    const store = testLedger.open();
    await store.migrate();
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    testLedger = await createTestLedger(backend, expect.getState().currentTestName ?? 'face-images');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await testLedger.dispose();
  });

  it('makes the signing key once: every store on the ledger, together or later, gets the same 32 bytes', async () => {
    const [a, b] = [await open(), await open()];
    const keys = await Promise.all([a.faceImages.imageUrlSigningKey(), b.faceImages.imageUrlSigningKey()]);
    expect(keys[0]).toHaveLength(32);
    expect(keys[1]).toEqual(keys[0]);
    const later = await open();
    expect(await later.faceImages.imageUrlSigningKey()).toEqual(keys[0]);
    expect(await testLedger.sql('SELECT purpose FROM signing_keys')).toEqual([{ purpose: 'image-url' }]);
  });

  it('keeps an image by digest once, says which digests it has, and removes it', async () => {
    const store = await open();
    const digest = 'a'.repeat(64);
    const image = { bytes: Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]), originalWidth: 1920, originalHeight: 1080 };
    await store.faceImages.putKeptImage(digest, image);
    await store.faceImages.putKeptImage(digest, { ...image, bytes: Buffer.from('other') });
    expect(await store.faceImages.keptImage(digest)).toEqual(image);
    expect(await store.faceImages.keptImagesPresent([digest, 'b'.repeat(64)])).toEqual([digest]);
    expect(await store.faceImages.keptImagesPresent([])).toEqual([]);
    expect(await store.faceImages.keptImageDigests()).toEqual([digest]);
    await store.faceImages.removeKeptImage(digest);
    expect(await store.faceImages.keptImage(digest)).toBeNull();
    expect(await store.faceImages.keptImageDigests()).toEqual([]);
  });

  it('keeping and removing images does not move the change version (no cached answer depends on them)', async () => {
    const store = await open();
    const before = await store.changeVersion();
    await store.faceImages.putKeptImage('c'.repeat(64), {
      bytes: Buffer.from('x'),
      originalWidth: 1,
      originalHeight: 1,
    });
    await store.faceImages.removeKeptImage('c'.repeat(64));
    expect(await store.changeVersion()).toBe(before);
  });
});
