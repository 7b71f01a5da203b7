import { randomBytes } from 'node:crypto';
import type { FaceImageRecords, KeptImage } from '../face-image-records';
import type { Session } from './statements';

// No version trigger on either table: no cached answer reads them.
/** Migration 5: the image URL signing key and the images kept of cloud faces. */
export const FACE_IMAGES_MIGRATION = {
  name: 'image URL signing key; images kept of faces registered at cloud providers',
  statements: [
    // One row per purpose; the key is made once, by whichever replica asks first, and read by all.
    `CREATE TABLE signing_keys (purpose text PRIMARY KEY, secret bytea NOT NULL, created_at timestamptz NOT NULL)`,
    `CREATE TABLE kept_images (
      sha256 text PRIMARY KEY,
      bytes bytea NOT NULL,
      original_width integer NOT NULL,
      original_height integer NOT NULL
    )`,
  ],
};

const IMAGE_URL_KEY = 'image-url';

export class PostgresFaceImages implements FaceImageRecords {
  constructor(private readonly db: Session) {}

  async imageUrlSigningKey(): Promise<Buffer> {
    // Two replicas starting together both insert; the primary key keeps the first, and both read that one.
    await this.db.run(
      `INSERT INTO signing_keys (purpose, secret, created_at) VALUES (?, ?, now()) ON CONFLICT (purpose) DO NOTHING`,
      [IMAGE_URL_KEY, randomBytes(32)],
    );
    const row = await this.db.row<{ secret: Buffer }>(`SELECT secret FROM signing_keys WHERE purpose = ?`, [
      IMAGE_URL_KEY,
    ]);
    return row!.secret;
  }

  async putKeptImage(sha256: string, image: KeptImage): Promise<void> {
    await this.db.run(
      `INSERT INTO kept_images (sha256, bytes, original_width, original_height) VALUES (?, ?, ?, ?)
       ON CONFLICT (sha256) DO NOTHING`,
      [sha256, image.bytes, image.originalWidth, image.originalHeight],
    );
  }

  async keptImage(sha256: string): Promise<KeptImage | null> {
    const row = await this.db.row<{ bytes: Buffer; original_width: number; original_height: number }>(
      `SELECT bytes, original_width, original_height FROM kept_images WHERE sha256 = ?`,
      [sha256],
    );
    return row ? { bytes: row.bytes, originalWidth: row.original_width, originalHeight: row.original_height } : null;
  }

  async keptImagesPresent(sha256s: readonly string[]): Promise<string[]> {
    if (sha256s.length === 0) return [];
    const rows = await this.db.rows<{ sha256: string }>(`SELECT sha256 FROM kept_images WHERE sha256 = ANY(?)`, [
      [...sha256s],
    ]);
    return rows.map((r) => r.sha256);
  }

  async removeKeptImage(sha256: string): Promise<void> {
    await this.db.run(`DELETE FROM kept_images WHERE sha256 = ?`, [sha256]);
  }

  async keptImageDigests(): Promise<string[]> {
    const rows = await this.db.rows<{ sha256: string }>(`SELECT sha256 FROM kept_images`);
    return rows.map((r) => r.sha256);
  }
}
