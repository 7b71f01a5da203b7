// Bulk seeding of a PostgreSQL facegraph ledger, for the `postgres` phase only. A schema of its own in the
// local server's `test` database (BENCH_POSTGRES_URL, by default postgres://postgres@127.0.0.1:5432/test),
// created at the start and dropped at the end. The tables come from the server's own migrations (openLedger
// with the URL); rows are then written in a few big INSERT ... SELECT FROM generate_series statements, in
// exactly the shape PostgresLedger.insertFace writes them: faces.fields as jsonb, one face_fields row per field
// with the value as its JSON text (writeFaceFields: JSON.stringify(value), which is jsonb's ::text for strings
// and integers). The session runs with session_replication_role = replica, so neither the foreign-key checks
// nor the change-version trigger fire per row (the keys are right by construction); the version is bumped once
// at the end, as a committed write would. Then VACUUM ANALYZE: autovacuum would get there soon after such a bulk
// load; without it every index-only scan of face_fields fetches heap pages to check visibility (EXPLAIN: one heap
// fetch per row of the page). Nothing here is used by src/.

import crypto from 'node:crypto';
import { dist, requireFromRoot } from './util.mjs';

const pg = requireFromRoot('pg');

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new schema fg_bench_<pid>_<random>, its tables created by the server's migrations. { name, url, drop() } */
export async function createPostgresLedger() {
  const name = `fg_bench_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${name}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  const schema = { name, url: url.toString(), drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
  try {
    const { openLedger } = dist('src/datasources/ledger/index.js');
    const ledger = await openLedger(schema.url);
    await ledger.close();
  } catch (e) {
    await schema.drop();
    throw e;
  }
  return schema;
}

/**
 * A client for bulk writes on the schema. Call done() (bumps the change version, VACUUM ANALYZE, CHECKPOINT, closes).
 */
export async function openPostgresForSeeding(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET session_replication_role = replica`);
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  return {
    client,
    async done() {
      await client.query(`SET session_replication_role = origin`);
      await client.query(`UPDATE ledger_version SET value = value + 1`);
      const t = performance.now();
      await client.query(`VACUUM (ANALYZE)`);
      // A page is marked all-visible only once no snapshot older than its rows is left; on a server shared with
      // other work, one VACUUM can leave most of the bulk load unmarked (seen: 20% of face_fields marked), and each
      // row of a filtered page then costs a heap fetch (EXPLAIN: Heap Fetches: 51). Autovacuum gets there later;
      // the bench vacuums again until it is there.
      let visible = await allVisible(client);
      for (let i = 0; i < 10 && visible < 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await client.query(`VACUUM faces, face_fields, persons`);
        visible = await allVisible(client);
      }
      const vacuumAnalyzeMs = performance.now() - t;
      // The bulk load leaves its pages dirty (measured: 550 MB of the kernel's Dirty after a 1,000,000-face seed),
      // for PostgreSQL's checkpointer and the kernel to write out while the pages are measured. A checkpoint
      // writes them before anything is measured (Dirty: 0.1 MB after it and a sync).
      const c = performance.now();
      await client.query('CHECKPOINT');
      const checkpointMs = performance.now() - c;
      await client.end();
      return { vacuumAnalyzeMs, checkpointMs, allVisible: visible };
    },
  };
}

/** The share of the face tables' pages marked all-visible (VACUUM keeps pg_class.relallvisible up to date). */
async function allVisible(client) {
  const {
    rows: [r],
  } = await client.query(
    `SELECT sum(relallvisible)::float8 / greatest(sum(relpages), 1) AS share FROM pg_class
     WHERE oid IN ('faces'::regclass, 'face_fields'::regclass)`,
  );
  return Math.min(1, Number(r.share));
}

const T0 = '2025-01-01T00:00:00.000Z';

/**
 * A LOCAL library `name` with `faces` faces, face i (0-based) with fields { dept: d<i % 20>, level: i % 10 }
 * (bench/lib/seed.mjs's DEPARTMENTS and fieldsOf), and `persons` persons (faces round-robin over them when > 0),
 * inserted `batch` faces per statement. Returns { libraryRowId, firstFaceRowId, lastFaceRowId, ms }.
 */
export async function seedPostgresLibrary(client, { name, faces, persons = 0, batch = 200_000 }) {
  const started = performance.now();
  const fieldSchema = [
    { name: 'dept', type: 'STRING' },
    { name: 'level', type: 'INTEGER' },
  ];
  const {
    rows: [lib],
  } = await client.query(
    `INSERT INTO libraries (provider_id, name, display_name, field_schema, vendor_meta, created_at)
     VALUES ('local', $1, NULL, $2::jsonb, '{}'::jsonb, $3) RETURNING row_id`,
    [name, JSON.stringify(fieldSchema), T0],
  );
  const libraryRowId = Number(lib.row_id);
  let firstPerson = null;
  if (persons > 0) {
    const {
      rows: [p],
    } = await client.query(
      `WITH ins AS (
         INSERT INTO persons (library_row_id, external_id, name, user_data, created_at)
         SELECT $1, 'person-' || p, 'Person ' || p, NULL, $2::timestamptz + p * interval '1 millisecond'
         FROM generate_series(0, $3 - 1) AS p ORDER BY p RETURNING row_id)
       SELECT min(row_id) AS first, max(row_id) AS last FROM ins`,
      [libraryRowId, T0, persons],
    );
    firstPerson = Number(p.first);
    if (Number(p.last) - firstPerson !== persons - 1) throw new Error('person row ids are not contiguous');
  }
  const box = JSON.stringify({ x: 40, y: 52, width: 180, height: 220 });
  let first = null;
  let last = null;
  for (let from = 0; from < faces; from += batch) {
    const to = Math.min(faces, from + batch) - 1;
    // One statement: the faces of [from, to] in order, then their face_fields rows, from the inserted rows.
    const {
      rows: [r],
    } = await client.query(
      `WITH ins AS (
         INSERT INTO faces (library_row_id, person_row_id, vendor_face_id, external_image_id, fields, user_data,
                            bounding_box, image_sha256, status, descriptor, created_at, updated_at)
         SELECT $1, CASE WHEN $4::bigint IS NULL THEN NULL ELSE $4::bigint + i % $5 END, gen_random_uuid()::text,
                'img-' || i, jsonb_build_object('dept', 'd' || lpad((i % 20)::text, 2, '0'), 'level', i % 10), NULL,
                $6::jsonb, NULL, 'ACTIVE', NULL,
                $7::timestamptz + (1000 + i) * interval '1 millisecond',
                $7::timestamptz + (1000 + i) * interval '1 millisecond'
         FROM generate_series($2::bigint, $3::bigint) AS i ORDER BY i
         RETURNING row_id, library_row_id, fields),
       ff AS (
         INSERT INTO face_fields (face_row_id, library_row_id, name, value)
         SELECT ins.row_id, ins.library_row_id, e.key, e.value::text FROM ins, jsonb_each(ins.fields) AS e)
       SELECT min(row_id) AS first, max(row_id) AS last, count(*) AS n FROM ins`,
      [libraryRowId, from, to, firstPerson, Math.max(persons, 1), box, T0],
    );
    if (Number(r.n) !== to - from + 1 || Number(r.last) - Number(r.first) !== to - from)
      throw new Error('face row ids are not contiguous');
    first ??= Number(r.first);
    last = Number(r.last);
  }
  return { libraryRowId, firstFaceRowId: first, lastFaceRowId: last, ms: performance.now() - started };
}
