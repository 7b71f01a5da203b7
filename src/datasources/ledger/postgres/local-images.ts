import type pg from 'pg';
import type { LocalImageStore } from '../ledger-store';

// LOCAL image bytes in the PostgreSQL ledger (table local_images), so that any replica can serve and compare them.
// Content-addressed like the files: a digest names one image, so a second put of it changes nothing.
export class PostgresLocalImages implements LocalImageStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(sha256: string, bytes: Buffer): Promise<void> {
    await this.pool.query(`INSERT INTO local_images (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`, [
      sha256,
      bytes,
    ]);
  }

  async has(sha256: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM local_images WHERE sha256 = $1`, [sha256]);
    return (rowCount ?? 0) > 0;
  }

  async get(sha256: string): Promise<Buffer | null> {
    const { rows } = await this.pool.query<{ bytes: Buffer }>(`SELECT bytes FROM local_images WHERE sha256 = $1`, [
      sha256,
    ]);
    return rows[0]?.bytes ?? null;
  }

  async remove(sha256: string): Promise<void> {
    await this.pool.query(`DELETE FROM local_images WHERE sha256 = $1`, [sha256]);
  }

  async list(): Promise<string[]> {
    const { rows } = await this.pool.query<{ sha256: string }>(`SELECT sha256 FROM local_images`);
    return rows.map((r) => r.sha256);
  }
}

/** The table, for the PostgreSQL ledger's migrations. */
export const LOCAL_IMAGES_TABLE = `CREATE TABLE local_images (sha256 text PRIMARY KEY, bytes bytea NOT NULL)`;
