import { FACE_IMAGES_MIGRATION } from './face-image-tables';
import { LOCAL_IMAGES_TABLE } from './local-images';
import type { Session } from './statements';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

// Append only: never edit a migration that has shipped, add the next version instead. Row ids come from identity
// sequences, which never hand out a number twice: a face row id names one face for good (caches rely on it).
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'libraries, persons, faces, face fields, idempotency keys',
    statements: [
      `CREATE TABLE libraries (
        row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider_id text NOT NULL,
        name text NOT NULL,
        display_name text,
        field_schema jsonb NOT NULL DEFAULT '[]',
        vendor_meta jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        CONSTRAINT libraries_name_unique UNIQUE (provider_id, name)
      )`,
      `CREATE TABLE persons (
        row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        library_row_id bigint NOT NULL,
        external_id text NOT NULL,
        name text,
        user_data text,
        created_at timestamptz NOT NULL,
        CONSTRAINT persons_library FOREIGN KEY (library_row_id) REFERENCES libraries (row_id) ON DELETE CASCADE,
        CONSTRAINT persons_external_id_unique UNIQUE (library_row_id, external_id),
        -- The target of the faces' (library, person) key, which keeps a face's person in its library.
        CONSTRAINT persons_by_library UNIQUE (library_row_id, row_id)
      )`,
      `CREATE TABLE faces (
        row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        library_row_id bigint NOT NULL,
        person_row_id bigint,
        vendor_face_id text NOT NULL,
        external_image_id text,
        fields jsonb NOT NULL DEFAULT '{}',
        user_data text,
        bounding_box jsonb,
        image_sha256 text,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PENDING')),
        descriptor bytea,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT faces_library FOREIGN KEY (library_row_id) REFERENCES libraries (row_id) ON DELETE CASCADE,
        CONSTRAINT faces_person FOREIGN KEY (library_row_id, person_row_id)
          REFERENCES persons (library_row_id, row_id) ON DELETE CASCADE,
        CONSTRAINT faces_vendor_face_id_unique UNIQUE (library_row_id, vendor_face_id)
      )`,
      `CREATE INDEX faces_by_library ON faces (library_row_id, row_id)`,
      `CREATE INDEX faces_by_external_image ON faces (library_row_id, external_image_id)`,
      `CREATE INDEX faces_by_person ON faces (person_row_id, row_id)`,
      `CREATE INDEX faces_by_image ON faces (image_sha256)`,
      // Covers counting a library's searchable faces without reading the faces' rows.
      `CREATE INDEX faces_with_descriptor ON faces (library_row_id, row_id) WHERE descriptor IS NOT NULL`,
      // Each value as its JSON text. One row per (face, field): an equality filter on a field is a range of
      // face_fields_by_value in face row order, which a GIN index on faces.fields cannot give (see the README).
      `CREATE TABLE face_fields (
        face_row_id bigint NOT NULL REFERENCES faces (row_id) ON DELETE CASCADE,
        library_row_id bigint NOT NULL REFERENCES libraries (row_id) ON DELETE CASCADE,
        name text NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (face_row_id, name)
      )`,
      `CREATE INDEX face_fields_by_value ON face_fields (library_row_id, name, value, face_row_id)`,
      `CREATE TABLE idempotency_keys (
        provider_id text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        face_row_id bigint NOT NULL REFERENCES faces (row_id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (provider_id, key)
      )`,
      `CREATE INDEX idempotency_keys_by_face ON idempotency_keys (face_row_id)`,
    ],
  },
  {
    version: 2,
    name: 'API keys (SHA-256 of the secret only) and the audit log',
    statements: [
      `CREATE TABLE api_keys (
        row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        name text NOT NULL,
        sha256 text NOT NULL UNIQUE,
        scopes jsonb NOT NULL,
        providers jsonb,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`,
      `CREATE TABLE audit_events (
        row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        operation text NOT NULL,
        target_ids jsonb NOT NULL,
        outcome text NOT NULL,
        client_address text
      )`,
      `CREATE INDEX audit_events_by_actor ON audit_events (actor, row_id)`,
      `CREATE INDEX audit_events_by_operation ON audit_events (operation, row_id)`,
      `CREATE INDEX audit_events_by_time ON audit_events (at)`,
      `CREATE TABLE audit_event_targets (
        target_id text NOT NULL,
        event_row_id bigint NOT NULL REFERENCES audit_events (row_id) ON DELETE CASCADE,
        PRIMARY KEY (target_id, event_row_id)
      )`,
      `CREATE INDEX audit_event_targets_by_event ON audit_event_targets (event_row_id)`,
    ],
  },
  {
    version: 3,
    name: 'change version: bumped and announced (NOTIFY facegraph_ledger) by every committing write',
    statements: [
      `CREATE TABLE ledger_version (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        value bigint NOT NULL
      )`,
      `INSERT INTO ledger_version (value) VALUES (0)`,
      // Fired at commit (deferred), once per transaction: the version row is the last lock a writer takes, so it
      // never waits on it while holding rows another writer needs, and writes by any client (another replica, psql)
      // count. The audit tables and an API key's last use have no trigger: no cached answer depends on them.
      `CREATE FUNCTION ledger_version_bump() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
       DECLARE
         bumped bigint;
       BEGIN
         IF current_setting('facegraph.ledger_version_bumped', true) = 'on' THEN
           RETURN NULL;
         END IF;
         UPDATE ledger_version SET value = value + 1 RETURNING value INTO bumped;
         PERFORM pg_notify('facegraph_ledger', bumped::text);
         PERFORM set_config('facegraph.ledger_version_bumped', 'on', true);
         RETURN NULL;
       END $$`,
      ...['libraries', 'persons', 'faces', 'idempotency_keys'].map(
        (table) => `CREATE CONSTRAINT TRIGGER ${table}_bump_version AFTER INSERT OR UPDATE OR DELETE ON ${table}
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_version_bump()`,
      ),
      `CREATE CONSTRAINT TRIGGER api_keys_bump_version
        AFTER INSERT OR DELETE OR UPDATE OF id, name, sha256, scopes, providers, expires_at, revoked_at ON api_keys
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_version_bump()`,
    ],
  },
  {
    version: 4,
    name: 'idempotency claims across replicas; LOCAL image bytes, so that every replica can serve them',
    statements: [
      `CREATE TABLE idempotency_claims (
        provider_id text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        claimed_at timestamptz NOT NULL,
        PRIMARY KEY (provider_id, key)
      )`,
      LOCAL_IMAGES_TABLE,
    ],
  },
  { version: 5, ...FACE_IMAGES_MIGRATION },
];

// Both numbers of the session-level advisory lock: a constant for "facegraph ledger migrations", and the schema, so
// ledgers in different schemas of one database migrate independently.
const MIGRATION_LOCK_CLASS = 0x0fa6e;

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL
)`;

export async function appliedVersions(session: Session): Promise<Set<number>> {
  const exists = await session.row<{ found: string | null }>(`SELECT to_regclass('schema_migrations')::text AS found`);
  if (!exists?.found) return new Set();
  const rows = await session.rows<{ version: number }>(`SELECT version FROM schema_migrations`);
  return new Set(rows.map((row) => row.version));
}

/**
 * Applies each pending migration in its own transaction, in version order, holding pg_advisory_lock all along:
 * replicas that start together wait for each other, and each migration is applied once. Returns the versions applied.
 */
export async function applyMigrations(
  session: Session,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await session.run(`SELECT pg_advisory_lock(?, hashtext(current_schema()))`, [MIGRATION_LOCK_CLASS]);
  try {
    await session.run(CREATE_SCHEMA_MIGRATIONS);
    const applied = await appliedVersions(session);
    const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
    const done: number[] = [];
    for (const migration of pending) {
      await session.run('BEGIN');
      try {
        for (const sql of migration.statements) await session.run(sql);
        await session.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, now())`, [
          migration.version,
          migration.name,
        ]);
        await session.run('COMMIT');
      } catch (e) {
        await session.run('ROLLBACK');
        throw e;
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await session.run(`SELECT pg_advisory_unlock(?, hashtext(current_schema()))`, [MIGRATION_LOCK_CLASS]);
  }
}
