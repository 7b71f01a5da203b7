import fs from 'node:fs/promises';
import path from 'node:path';
import { DESCRIPTOR_LENGTH } from './descriptor-matrix';

// A library's descriptor matrix kept on local disk between runs, so the first search after a start reads one
// file (100,000 faces: 51 MB in one read) instead of 100,000 ledger rows (~310 ms). It is a cache, never the
// record: the ledger stays the truth, and what is loaded is checked against it before use (local-vendor.ts).
//
// Layout: "FGDESC01", face count (uint32 LE), dimensions (uint32 LE), then the face row ids (float64, ascending),
// then the descriptors (float32, row after row), both in the machine's byte order (little-endian wherever Node
// runs). Written to a temporary name and renamed, so a reader never sees half a file.

const MAGIC = Buffer.from('FGDESC01', 'latin1');
const HEADER_BYTES = 16;
/** Room for faces added after loading, so the first registrations do not copy the whole matrix. */
const SPARE = 1 / 8;

export interface StoredDescriptors {
  rowIds: number[];
  /** Rows for rowIds.length faces, then spare room. */
  matrix: Float32Array;
}

let writes = 0;

export class DescriptorFiles {
  constructor(private readonly dir: string) {}

  private fileOf(libraryRowId: number): string {
    return path.join(this.dir, `library-${libraryRowId}.f32`);
  }

  /** The stored matrix of a library; null when there is none or it is not a whole file of this layout. */
  async load(libraryRowId: number): Promise<StoredDescriptors | null> {
    const stored = await this.open(libraryRowId);
    if (!stored) return null;
    try {
      const count = stored.rowIds.length;
      const matrix = new Float32Array(Math.ceil(count * (1 + SPARE)) * DESCRIPTOR_LENGTH);
      if (!(await stored.readRows(0, count, matrix))) return null;
      return { rowIds: Array.from(stored.rowIds), matrix };
    } finally {
      await stored.close();
    }
  }

  /**
   * A library's stored file opened for reading a few rows at a time (its row ids read and checked); null when
   * there is none or it is not a whole file of this layout. The caller closes it.
   */
  async open(libraryRowId: number): Promise<StoredDescriptorFile | null> {
    let file: fs.FileHandle;
    try {
      file = await fs.open(this.fileOf(libraryRowId), 'r');
    } catch {
      return null;
    }
    let opened: StoredDescriptorFile | null = null;
    try {
      const { size } = await file.stat();
      const header = Buffer.alloc(HEADER_BYTES);
      if (size < HEADER_BYTES || (await file.read(header, 0, HEADER_BYTES, 0)).bytesRead !== HEADER_BYTES) return null;
      const count = header.readUInt32LE(8);
      if (!header.subarray(0, 8).equals(MAGIC) || header.readUInt32LE(12) !== DESCRIPTOR_LENGTH) return null;
      const idBytes = count * Float64Array.BYTES_PER_ELEMENT;
      const matrixBytes = count * DESCRIPTOR_LENGTH * Float32Array.BYTES_PER_ELEMENT;
      if (size !== HEADER_BYTES + idBytes + matrixBytes) return null;
      const ids = new Float64Array(count);
      if (!(await readFully(file, new Uint8Array(ids.buffer), HEADER_BYTES))) return null;
      for (let i = 1; i < count; i++) if (!(ids[i]! > ids[i - 1]!)) return null;
      opened = new StoredDescriptorFile(file, ids, HEADER_BYTES + idBytes);
      return opened;
    } finally {
      if (!opened) await file.close();
    }
  }
  /** Replaces the stored matrix of a library with the first rowIds.length rows of `matrix`. */
  async save(libraryRowId: number, rowIds: readonly number[], matrix: Float32Array): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const target = this.fileOf(libraryRowId);
    const temporary = `${target}.${process.pid}.${++writes}.tmp`;
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(rowIds.length, 8);
    header.writeUInt32LE(DESCRIPTOR_LENGTH, 12);
    const ids = Float64Array.from(rowIds);
    const rows = matrix.subarray(0, rowIds.length * DESCRIPTOR_LENGTH);
    try {
      const file = await fs.open(temporary, 'w');
      try {
        // writeFile writes each piece whole, one after the other (a single write may be short).
        await file.writeFile(header);
        await file.writeFile(new Uint8Array(ids.buffer));
        await file.writeFile(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
      } finally {
        await file.close();
      }
      await fs.rename(temporary, target);
    } catch (e) {
      await fs.rm(temporary, { force: true });
      throw e;
    }
  }

  /** Forgets a library's stored matrix (it is deleted, or its file did not match the ledger). */
  async remove(libraryRowId: number): Promise<void> {
    await fs.rm(this.fileOf(libraryRowId), { force: true });
  }
}

async function readFully(file: fs.FileHandle, into: Uint8Array, position: number): Promise<boolean> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await file.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/** An open descriptor file: its row ids, and its rows read on demand into the caller's memory. */
export class StoredDescriptorFile {
  constructor(
    private readonly file: fs.FileHandle,
    /** Ascending. */
    readonly rowIds: Float64Array,
    private readonly rowsAt: number,
  ) {}

  /** Reads rows [first, first + rows) into the start of `into`; false when the file ended early. */
  readRows(first: number, rows: number, into: Float32Array): Promise<boolean> {
    const bytes = rows * DESCRIPTOR_LENGTH * Float32Array.BYTES_PER_ELEMENT;
    const position = this.rowsAt + first * DESCRIPTOR_LENGTH * Float32Array.BYTES_PER_ELEMENT;
    return readFully(this.file, new Uint8Array(into.buffer, into.byteOffset, bytes), position);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
