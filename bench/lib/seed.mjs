// Bulk seeding of a facegraph ledger, for the benchmarks only. The schema comes from the server itself
// (openLedger runs its migrations); rows are then written with better-sqlite3 directly, in one transaction
// with prepared statements, in exactly the shape SqliteLedger writes them (faces.fields as JSON text,
// one face_fields row per field with the value as JSON text, descriptors as float32 blobs), so the server
// reads them as its own. Nothing here is used by src/.

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dist, requireFromRoot } from './util.mjs';

const Database = requireFromRoot('better-sqlite3');

/** Creates (or migrates) the ledger file the way the server does on start. */
export async function createLedgerFile(dataDir) {
  const file = path.join(dataDir, 'facegraph.db');
  const { openLedger } = dist('src/datasources/ledger/index.js');
  const ledger = await openLedger(`sqlite:${file}`);
  await ledger.close();
  return file;
}

/** A connection tuned for one big write: no journal, no fsync, a large page cache. Call done() to restore WAL. */
export function openForSeeding(file) {
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -1048576'); // 1 GiB
  db.pragma('temp_store = MEMORY');
  return {
    db,
    done() {
      db.pragma('locking_mode = NORMAL');
      db.pragma('journal_mode = WAL');
      db.close();
    },
  };
}

export const DEPARTMENTS = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);

/**
 * Adds a library with `faces` faces (and `persons` persons, faces spread round-robin over them when > 0).
 * fieldsOf(i) gives face i's custom fields; descriptorOf(i) its Float32Array descriptor or null.
 * Returns { libraryRowId, firstFaceRowId, lastFaceRowId, ms }.
 */
export function seedLibrary(
  db,
  {
    providerId = 'local',
    name,
    fieldSchema,
    faces,
    persons = 0,
    fieldsOf = () => ({}),
    descriptorOf = () => null,
    vendorMeta = {},
  },
) {
  const started = performance.now();
  const t0 = Date.parse('2025-01-01T00:00:00.000Z');
  const insertLibrary = db.prepare(
    `INSERT INTO libraries (provider_id, name, display_name, field_schema, vendor_meta, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertPerson = db.prepare(
    `INSERT INTO persons (library_row_id, external_id, name, user_data, created_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const insertFace = db.prepare(
    `INSERT INTO faces (library_row_id, person_row_id, vendor_face_id, external_image_id, fields, user_data,
                        bounding_box, image_sha256, status, descriptor, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'ACTIVE', ?, ?, ?)`,
  );
  const insertField = db.prepare(
    `INSERT INTO face_fields (face_row_id, library_row_id, name, value) VALUES (?, ?, ?, ?)`,
  );
  const box = JSON.stringify({ x: 40, y: 52, width: 180, height: 220 });

  const run = db.transaction(() => {
    const libraryRowId = Number(
      insertLibrary.run(
        providerId,
        name,
        null,
        JSON.stringify(fieldSchema),
        JSON.stringify(vendorMeta),
        new Date(t0).toISOString(),
      ).lastInsertRowid,
    );
    const personRowIds = [];
    for (let p = 0; p < persons; p++) {
      personRowIds.push(
        Number(
          insertPerson.run(libraryRowId, `person-${p}`, `Person ${p}`, null, new Date(t0 + p).toISOString())
            .lastInsertRowid,
        ),
      );
    }
    let first = null;
    let last = null;
    for (let i = 0; i < faces; i++) {
      const fields = fieldsOf(i);
      const at = new Date(t0 + 1000 + i).toISOString();
      const descriptor = descriptorOf(i);
      const rowId = Number(
        insertFace.run(
          libraryRowId,
          persons > 0 ? personRowIds[i % persons] : null,
          randomUUID(),
          `img-${i}`,
          JSON.stringify(fields),
          null,
          box,
          descriptor ? Buffer.from(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength) : null,
          at,
          at,
        ).lastInsertRowid,
      );
      for (const key in fields) insertField.run(rowId, libraryRowId, key, JSON.stringify(fields[key]));
      first ??= rowId;
      last = rowId;
    }
    return { libraryRowId, firstFaceRowId: first, lastFaceRowId: last, personRowIds };
  });
  const result = run();
  return { ...result, ms: performance.now() - started };
}

/** A pseudo-random unit-length 128-float descriptor (a fast xorshift, so seeding 100k is quick and repeatable). */
function unitRandom(seed) {
  let x = (seed * 2654435761) >>> 0 || 1;
  const d = new Float32Array(128);
  let norm = 0;
  for (let k = 0; k < 128; k++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const v = x / 4294967296 - 0.5;
    d[k] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  for (let k = 0; k < 128; k++) d[k] /= norm;
  return d;
}

// Real face descriptors are not spread over the whole space: different people are about 0.6-0.7 apart (the
// engine's measurements), not the ~1.41 of two random unit vectors. A shared centre plus a random offset of
// length 0.46 puts two synthetic faces ~0.65 apart, so a search does as much work per face as on real ones.
const CENTRE = unitRandom(0x5eed);
const SPREAD = 0.46;

/** A synthetic descriptor for face `seed`: ~0.65 from any other seed's, like two different people. */
export function syntheticDescriptor(seed) {
  const u = unitRandom(seed);
  const d = new Float32Array(128);
  for (let k = 0; k < 128; k++) d[k] = CENTRE[k] + SPREAD * u[k];
  return d;
}

/** A descriptor `distance` away from `d` (a near copy, like another photo of the same person). */
export function nearby(d, distance, seed) {
  const noise = unitRandom(seed);
  const out = new Float32Array(128);
  for (let k = 0; k < 128; k++) out[k] = d[k] + noise[k] * distance;
  return out;
}
