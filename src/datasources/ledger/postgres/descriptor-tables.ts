import type { DescriptorMatrix } from '../ledger-store';
import { PgStatements } from './statements';
import { countOf } from './dialect';

/** LOCAL face descriptors, read into one matrix for the search's scan. */
export class PostgresDescriptorTables {
  constructor(private readonly db: PgStatements) {}

  async faceDescriptors(
    libraryRowId: number,
    dimensions: number,
    options: { afterRowId?: number } = {},
  ): Promise<DescriptorMatrix> {
    const rows = await this.db.rows<{ row_id: number; descriptor: Buffer }>(
      `SELECT row_id, descriptor FROM faces
       WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id > ? ORDER BY row_id`,
      [libraryRowId, options.afterRowId ?? 0],
    );
    const rowBytes = dimensions * Float32Array.BYTES_PER_ELEMENT;
    const matrix = new Float32Array(rows.length * dimensions);
    const bytes = new Uint8Array(matrix.buffer);
    const rowIds = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const { row_id: rowId, descriptor } = rows[i]!;
      if (descriptor.byteLength !== rowBytes) {
        throw new Error(
          `Face row ${rowId} has a ${descriptor.byteLength}-byte descriptor; ` +
            `${rowBytes} bytes (${dimensions} floats) were expected.`,
        );
      }
      rowIds[i] = rowId;
      bytes.set(descriptor, i * rowBytes);
    }
    return { rowIds, dimensions, matrix };
  }

  async countFaceDescriptors(libraryRowId: number, upToRowId: number): Promise<number> {
    return countOf(
      await this.db.row<{ n: number }>(
        `SELECT count(*) AS n FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ?`,
        [libraryRowId, upToRowId],
      ),
    );
  }

  async faceDescriptorRowIds(libraryRowId: number, upToRowId: number): Promise<number[]> {
    const rows = await this.db.rows<{ row_id: number }>(
      `SELECT row_id FROM faces WHERE library_row_id = ? AND descriptor IS NOT NULL AND row_id <= ? ORDER BY row_id`,
      [libraryRowId, upToRowId],
    );
    return rows.map((r) => r.row_id);
  }
}
