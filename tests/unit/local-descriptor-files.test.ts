import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LibraryRecord } from '../../src/domain/model';
import type { LedgerStore } from '../../src/datasources/ledger/ledger-store';
import { DescriptorFiles } from '../../src/datasources/vendors/local/descriptor-file';
import type { FaceEngine } from '../../src/datasources/vendors/local/engine/face-engine';
import { LocalFaceVendor } from '../../src/datasources/vendors/local/local-vendor';
import { searchStoredDescriptors } from '../../src/datasources/vendors/local/stored-descriptor-search';
import type { SearchRequest } from '../../src/datasources/vendors/face-vendor';
import { createTestLedger, LEDGER_BACKENDS, type TestLedger } from '../support/ledgers';

// The LOCAL search's descriptor files (a cache of the ledger kept between runs), on a real ledger of each kind:
// a server started again searches from the file, and gets exactly what reading the ledger gives, whatever
// happened to the ledger meanwhile.

const D = 128;

function descriptor(seed: number): Float32Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: D }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return 0.1 + (x / 4294967296 - 0.5) * 0.12;
  });
}

const probe = descriptor(7);
/** An engine that "detects" the probe in any image. */
const engine: FaceEngine = {
  detect: async () => [{ box: { x: 0, y: 0, width: 200, height: 200 }, score: 1, descriptor: probe }],
  isReady: () => true,
  whenReady: async () => {},
  close: async () => {},
};
const image = {
  bytes: Buffer.alloc(1),
  format: 'jpeg',
  mimeType: 'image/jpeg',
  width: 1,
  height: 1,
  sha256: '0'.repeat(64),
} as const;
const request: SearchRequest = { image: { kind: 'bytes', image }, topN: 20, threshold: 0 };

/** Counts the descriptor rows the ledger hands over while `run` runs. */
async function countingRows<T>(ledger: LedgerStore, run: () => Promise<T>): Promise<{ result: T; rowsRead: number }> {
  let rows = 0;
  const original = ledger.faceDescriptors;
  ledger.faceDescriptors = async (...args) => {
    const read = await original.apply(ledger, args);
    rows += read.rowIds.length;
    return read;
  };
  try {
    return { result: await run(), rowsRead: rows };
  } finally {
    ledger.faceDescriptors = original;
  }
}

describe.each(LEDGER_BACKENDS)('LOCAL descriptor files (%s ledger)', (backend) => {
  let testLedger: TestLedger;
  let ledger: LedgerStore;
  let dataDir: string;
  let library: LibraryRecord;
  const faceIds: number[] = [];

  async function addFaces(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) {
      const face = await ledger.insertFace({
        libraryRowId: library.rowId,
        personRowId: null,
        vendorFaceId: `f${i}`,
        externalImageId: null,
        fields: {},
        userData: null,
        boundingBox: null,
        imageSha256: null,
        descriptor: descriptor(100 + i),
      });
      faceIds.push(face.rowId);
    }
  }

  /** A vendor as a server started on `dir` has it, and what its first search finds. */
  async function firstSearch(dir: string) {
    const vendor = new LocalFaceVendor('local', dir, ledger, engine);
    const { result: matches, rowsRead } = await countingRows(ledger, () => vendor.searchFaces(library, request));
    await vendor.descriptorFilesWritten();
    return { matches, rowsRead };
  }

  /** The same search with no file: the ledger read in full. */
  async function fromLedgerOnly() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-nofile-'));
    try {
      return (await firstSearch(dir)).matches;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  beforeEach(async () => {
    testLedger = await createTestLedger(backend, expect.getState().currentTestName ?? 'files');
    ledger = testLedger.open();
    await ledger.migrate();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-files-'));
    library = await ledger.insertLibrary({ providerId: 'local', name: 'lib', displayName: null, fieldSchema: [] });
    faceIds.length = 0;
    await addFaces(0, 60);
  });
  afterEach(async () => {
    await ledger.close();
    await testLedger.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'the first search writes the file; ' + 'the next run searches from it and reads only the newest face again',
    async () => {
      const first = await firstSearch(dataDir);
      expect(first.rowsRead).toBe(60);
      const stored = await new DescriptorFiles(path.join(dataDir, 'descriptors')).load(library.rowId);
      expect(stored!.rowIds).toEqual(faceIds);
      expect(stored!.matrix.subarray(59 * D, 60 * D)).toEqual(descriptor(159));

      const again = await firstSearch(dataDir);
      expect(again.rowsRead).toBe(1);
      expect(again.matches).toEqual(first.matches);
      expect(again.matches).toHaveLength(20);
    },
  );

  it('faces added and deleted since the file was written are found and left out as the ledger says', async () => {
    await firstSearch(dataDir);
    await addFaces(60, 5);
    await ledger.deleteFaces([faceIds[3]!, faceIds[40]!]);
    const after = await firstSearch(dataDir);
    expect(after.rowsRead).toBe(6); // the newest face of the file, then the 5 added
    expect(after.matches).toEqual(await fromLedgerOnly());
    const found = after.matches.map((m) => ('faceRowId' in m ? m.faceRowId : null));
    expect(found).not.toContain(faceIds[3]);
    expect(found).not.toContain(faceIds[40]);
    // The file was brought up to date: the run after reads only its newest face.
    expect((await firstSearch(dataDir)).rowsRead).toBe(1);
  });

  it('a file whose newest face is gone or differs (another ledger, the newest face deleted) is not used', async () => {
    await firstSearch(dataDir);
    await ledger.deleteFaces([faceIds[59]!]);
    const after = await firstSearch(dataDir);
    expect(after.rowsRead).toBe(59); // nothing from the file could be trusted: the library read in full
    expect(after.matches).toEqual(await fromLedgerOnly());

    // A file written for another ledger whose library has the same row id and the same face row ids.
    const files = new DescriptorFiles(path.join(dataDir, 'descriptors'));
    const stored = (await files.load(library.rowId))!;
    stored.matrix.fill(0.5, (stored.rowIds.length - 1) * D, stored.rowIds.length * D);
    await files.save(library.rowId, stored.rowIds, stored.matrix);
    const foreign = await firstSearch(dataDir);
    expect(foreign.rowsRead).toBe(1 + 59);
    expect(foreign.matches).toEqual(await fromLedgerOnly());
  });

  it('a truncated or foreign file is ignored, and deleting the library removes its file', async () => {
    await firstSearch(dataDir);
    const file = path.join(dataDir, 'descriptors', `library-${library.rowId}.f32`);
    fs.truncateSync(file, fs.statSync(file).size - 4);
    expect(await new DescriptorFiles(path.join(dataDir, 'descriptors')).load(library.rowId)).toBeNull();
    const truncated = await firstSearch(dataDir);
    expect(truncated.rowsRead).toBe(60);
    expect(truncated.matches).toEqual(await fromLedgerOnly());

    fs.writeFileSync(file, 'not a descriptor file');
    expect(await new DescriptorFiles(path.join(dataDir, 'descriptors')).load(library.rowId)).toBeNull();

    await new LocalFaceVendor('local', dataDir, ledger, engine).deleteLibrary(library);
    expect(fs.existsSync(file)).toBe(false);
  });

  it(
    'a search from the file read a few rows at a time, with faces deleted across the reads and some added, ' +
      'finds what reading the ledger finds',
    async () => {
      await firstSearch(dataDir);
      await addFaces(60, 4);
      // Deleted: the first face, faces on both sides of a read's edge (7 rows per read), and the last of a read.
      await ledger.deleteFaces([faceIds[0]!, faceIds[6]!, faceIds[7]!, faceIds[27]!, faceIds[58]!, faceIds[61]!]);
      const expected = await fromLedgerOnly();
      const files = new DescriptorFiles(path.join(dataDir, 'descriptors'));
      for (const rowsPerRead of [1, 7, 64]) {
        const stored = (await files.open(library.rowId))!;
        try {
          const matches = await searchStoredDescriptors({
            ledger,
            libraryRowId: library.rowId,
            stored,
            probe,
            maxSquared: Infinity,
            topN: request.topN,
            chunk: new Float32Array(rowsPerRead * D),
          });
          expect(matches).toEqual(expected);
        } finally {
          await stored.close();
        }
      }
      // And through the vendor: answered from the file, then the matrix loaded for the next search.
      const vendor = new LocalFaceVendor('local', dataDir, ledger, engine);
      expect(await vendor.searchFaces(library, request)).toEqual(expected);
      await vendor.descriptorFilesWritten();
      const next = await countingRows(ledger, () => vendor.searchFaces(library, request));
      expect(next.rowsRead).toBe(0);
      expect(next.result).toEqual(expected);
    },
  );

  it('a matrix in memory follows deletions and additions (rows moved within it), search after search', async () => {
    const vendor = new LocalFaceVendor('local', dataDir, ledger, engine);
    await vendor.searchFaces(library, request);
    await vendor.descriptorFilesWritten();
    const rounds: Array<() => Promise<void>> = [
      () => ledger.deleteFaces([faceIds[1]!, faceIds[2]!, faceIds[30]!]).then(() => undefined),
      () => addFaces(60, 3),
      () => ledger.deleteFaces([faceIds[0]!, faceIds[61]!]).then(() => undefined),
      () => ledger.deleteFaces([faceIds[59]!, faceIds[60]!, faceIds[62]!]).then(() => undefined),
    ];
    for (const change of rounds) {
      await change();
      const { result, rowsRead } = await countingRows(ledger, () => vendor.searchFaces(library, request));
      expect(rowsRead).toBeLessThanOrEqual(3); // only what was added since, never the library again
      expect(result).toEqual(await fromLedgerOnly());
    }
  });

  it("a library deleted while its first search's file is being written leaves no file behind", async () => {
    const vendor = new LocalFaceVendor('local', dataDir, ledger, engine);
    await vendor.searchFaces(library, request); // the ledger read in full; its file is written in the background
    await vendor.deleteLibrary(library);
    await vendor.descriptorFilesWritten();
    expect(fs.existsSync(path.join(dataDir, 'descriptors', `library-${library.rowId}.f32`))).toBe(false);
  });
});
