import { ACCESS_TABLES_MIGRATION } from './access-tables';
import { FACE_IMAGES_MIGRATION } from './face-image-tables';
import type { Statements } from './statements';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

// Append only: never edit a migration that has shipped, add the next version instead.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'libraries, persons, faces, face fields, idempotency keys',
    statements: [
      `CREATE TABLE libraries (
        row_id INTEGER PRIMARY KEY,
        provider_id TEXT NOT NULL,
        name TEXT NOT NULL,
        display_name TEXT,
        field_schema TEXT NOT NULL DEFAULT '[]',
        vendor_meta TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        UNIQUE (provider_id, name)
      )`,
      `CREATE TABLE persons (
        row_id INTEGER PRIMARY KEY,
        library_row_id INTEGER NOT NULL REFERENCES libraries (row_id) ON DELETE CASCADE,
        external_id TEXT NOT NULL,
        name TEXT,
        user_data TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (library_row_id, external_id)
      )`,
      // Also the target of the faces' (library, person) key, which keeps a face's person in its library.
      `CREATE UNIQUE INDEX persons_by_library ON persons (library_row_id, row_id)`,
      `CREATE TABLE faces (
        row_id INTEGER PRIMARY KEY,
        library_row_id INTEGER NOT NULL REFERENCES libraries (row_id) ON DELETE CASCADE,
        person_row_id INTEGER,
        vendor_face_id TEXT NOT NULL,
        external_image_id TEXT,
        fields TEXT NOT NULL DEFAULT '{}',
        user_data TEXT,
        bounding_box TEXT,
        image_sha256 TEXT,
        status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PENDING')),
        descriptor BLOB,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (library_row_id, vendor_face_id),
        FOREIGN KEY (library_row_id, person_row_id) REFERENCES persons (library_row_id, row_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX faces_by_library ON faces (library_row_id, row_id)`,
      `CREATE INDEX faces_by_external_image ON faces (library_row_id, external_image_id)`,
      `CREATE INDEX faces_by_person ON faces (person_row_id, row_id)`,
      `CREATE INDEX faces_by_image ON faces (image_sha256)`,
      `CREATE TABLE face_fields (
        face_row_id INTEGER NOT NULL REFERENCES faces (row_id) ON DELETE CASCADE,
        library_row_id INTEGER NOT NULL REFERENCES libraries (row_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (face_row_id, name)
      ) WITHOUT ROWID`,
      `CREATE INDEX face_fields_by_value ON face_fields (library_row_id, name, value)`,
      `CREATE TABLE idempotency_keys (
        provider_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        face_row_id INTEGER NOT NULL REFERENCES faces (row_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (provider_id, key)
      )`,
      `CREATE INDEX idempotency_keys_by_face ON idempotency_keys (face_row_id)`,
    ],
  },
  {
    version: 2,
    name: 'face row ids never reused; index of faces with descriptors',
    statements: [
      // SQLite gives a new row max(row_id) + 1, so deleting the newest face would free its id for the next one.
      // insertFace numbers faces above this high-water mark, which every delete (cascades and other processes
      // included) raises, so a face row id names one face for good: caches of descriptors rely on it.
      `CREATE TABLE ledger_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`,
      `INSERT INTO ledger_counters (name, value) VALUES ('faces_high_water', 0)`,
      `CREATE TRIGGER faces_raise_high_water AFTER DELETE ON faces BEGIN
         UPDATE ledger_counters SET value = OLD.row_id WHERE name = 'faces_high_water' AND value < OLD.row_id;
       END`,
      // Covers counting a library's searchable faces without reading the faces' rows.
      `CREATE INDEX faces_with_descriptor ON faces (library_row_id, row_id) WHERE descriptor IS NOT NULL`,
    ],
  },
  { version: 3, ...ACCESS_TABLES_MIGRATION },
  {
    version: 4,
    name: 'idempotency claims: a registration holds its key while it calls the vendor',
    statements: [
      `CREATE TABLE idempotency_claims (
        provider_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        PRIMARY KEY (provider_id, key)
      ) WITHOUT ROWID`,
    ],
  },
  { version: 5, ...FACE_IMAGES_MIGRATION },
];

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export function appliedVersions(statements: Statements): Set<number> {
  const exists = statements.get(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`);
  if (!exists) return new Set();
  const rows = statements.all<{ version: number }>(`SELECT version FROM schema_migrations`);
  return new Set(rows.map((row) => row.version));
}

/** Applies each pending migration in its own transaction, in version order; returns the versions applied. */
export function applyMigrations(statements: Statements, migrations: readonly Migration[] = MIGRATIONS): number[] {
  statements.run(CREATE_SCHEMA_MIGRATIONS);
  const applied = appliedVersions(statements);
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
  const done: number[] = [];
  for (const migration of pending) {
    statements.transaction(() => {
      // Another process may have applied it while this one waited for the write lock.
      if (statements.get(`SELECT 1 FROM schema_migrations WHERE version = ?`, [migration.version])) return;
      for (const sql of migration.statements) statements.run(sql);
      statements.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      done.push(migration.version);
    });
  }
  return done;
}
