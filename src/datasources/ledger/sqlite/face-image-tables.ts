import { randomBytes } from 'node:crypto';
import type { FaceImageRecords, KeptImage } from '../face-image-records';
import type { Statements } from './statements';

/** Migration 5: the image URL signing key and the kept images of cloud faces. */
export const FACE_IMAGES_MIGRATION = {
  name: 'image URL signing key; images kept of faces registered at cloud providers',
  statements: [
    // One row per purpose; the key is made once, by whichever process asks first.
    `CREATE TABLE signing_keys (
      purpose TEXT PRIMARY KEY,
      secret BLOB NOT NULL,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID`,
    `CREATE TABLE kept_images (
      sha256 TEXT PRIMARY KEY,
      bytes BLOB NOT NULL,
      original_width INTEGER NOT NULL,
      original_height INTEGER NOT NULL
    ) WITHOUT ROWID`,
  ],
};

const IMAGE_URL_KEY = 'image-url';

// No cached answer depends on these rows (imageUrl is never in the response cache), so their writes are unversioned.
export class SqliteFaceImages implements FaceImageRecords {
  constructor(private readonly statements: Statements) {}

  async imageUrlSigningKey(): Promise<Buffer> {
    this.statements.runUnversioned(
      `INSERT INTO signing_keys (purpose, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (purpose) DO NOTHING`,
      [IMAGE_URL_KEY, randomBytes(32), new Date().toISOString()],
    );
    return this.statements.get<{ secret: Buffer }>(`SELECT secret FROM signing_keys WHERE purpose = ?`, [
      IMAGE_URL_KEY,
    ])!.secret;
  }

  async putKeptImage(sha256: string, image: KeptImage): Promise<void> {
    this.statements.runUnversioned(
      `INSERT INTO kept_images (sha256, bytes, original_width, original_height) VALUES (?, ?, ?, ?)
       ON CONFLICT (sha256) DO NOTHING`,
      [sha256, image.bytes, image.originalWidth, image.originalHeight],
    );
  }

  async keptImage(sha256: string): Promise<KeptImage | null> {
    const row = this.statements.get<{ bytes: Buffer; original_width: number; original_height: number }>(
      `SELECT bytes, original_width, original_height FROM kept_images WHERE sha256 = ?`,
      [sha256],
    );
    return row ? { bytes: row.bytes, originalWidth: row.original_width, originalHeight: row.original_height } : null;
  }

  async keptImagesPresent(sha256s: readonly string[]): Promise<string[]> {
    if (sha256s.length === 0) return [];
    return this.statements.all<string>(
      `SELECT sha256 FROM kept_images WHERE sha256 IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(sha256s)],
      { pluck: true },
    );
  }

  async removeKeptImage(sha256: string): Promise<void> {
    this.statements.runUnversioned(`DELETE FROM kept_images WHERE sha256 = ?`, [sha256]);
  }

  async keptImageDigests(): Promise<string[]> {
    return this.statements.all<string>(`SELECT sha256 FROM kept_images`, [], { pluck: true });
  }
}
