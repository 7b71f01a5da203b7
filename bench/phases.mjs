// The benchmark phases: each starts the processes it needs on 127.0.0.1, runs its cases and stops them.

import fs from 'node:fs';
import path from 'node:path';
import { readCase } from './cases/read.mjs';
import { engineIsolationCase, localRegistrationMemory } from './cases/engine.mjs';
import { writeOverheadCase, frsRegistrationMemory, FRS } from './cases/write.mjs';
import { fanOutCase } from './cases/fanout.mjs';
import { ledgerScaleCase, searchCase } from './cases/scale.mjs';
import { limitsCase } from './cases/limits.mjs';
import { hostileImagesCase } from './cases/hostile.mjs';
import { localFootprintCase } from './cases/footprint.mjs';
import { millionSearchCase } from './cases/search.mjs';
import { replicasCase } from './cases/replicas.mjs';
import { hostileImages } from './lib/hostile-images.mjs';
import { faceCrops } from './lib/images.mjs';
import {
  createPostgresLedger,
  openPostgresForSeeding,
  POSTGRES_URL,
  seedPostgresLibrary,
} from './lib/seed-postgres.mjs';
import {
  createLedgerFile,
  DEPARTMENTS,
  openForSeeding,
  seedLibrary,
  syntheticDescriptor,
  nearby,
} from './lib/seed.mjs';
import { BENCH_DIR, dist, httpClient, mb, size, startChild, tempDir } from './lib/util.mjs';

/** The HUAWEI_FRS provider config pointing at the emulator child. */
function frsProvider(emulator) {
  return {
    id: 'hw',
    kind: 'HUAWEI_FRS',
    region: 'cn-north-4',
    projectId: FRS.projectId,
    endpoint: emulator.info.endpoint,
    iamEndpoint: emulator.info.iamEndpoint,
    credentials: { accessKeyId: FRS.accessKeyId, secretAccessKey: FRS.secretAccessKey },
    // The default (10/s) models a real account's flow control; here it would only measure the wait.
    rateLimitPerSecond: 100_000,
  };
}

const FIELDS = [
  { name: 'dept', type: 'STRING' },
  { name: 'level', type: 'INTEGER' },
];

/**
 * --cpu-prof for the gateway children when BENCH_CPU_PROF=1: profiles in bench/profiles/<phase>/, one file per
 * thread; the server's main thread is the one named CPU.<date>.<time>.<pid>.0.<n>.cpuprofile.
 */
function profileArgs(label) {
  if (process.env.BENCH_CPU_PROF !== '1') return [];
  const dir = path.join(BENCH_DIR, 'profiles', label);
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

function startGateway(label, spec) {
  return startChild(
    'server-child.mjs',
    { BENCH_SERVER: JSON.stringify(spec) },
    { label, execArgv: profileArgs(label) },
  );
}

/**
 * Which run of a phase this is (BENCH_REPEAT): the memory series repeat rounds inside themselves, so they run in
 * the first run only.
 */
const FIRST_RUN = { run: 0, runs: 1 };

/** read, engine isolation and LOCAL memory, on one LOCAL server with 10,000 faces in its ledger. */
export async function localPhase(log, { run } = FIRST_RUN) {
  const dataDir = tempDir('local');
  const file = await createLedgerFile(dataDir);
  const seeding = openForSeeding(file);
  const seeded = seedLibrary(seeding.db, {
    name: 'read10k',
    fieldSchema: FIELDS,
    faces: 10_000,
    persons: 1_000,
    fieldsOf: (i) => ({ dept: DEPARTMENTS[i % DEPARTMENTS.length], level: i % 10 }),
  });
  seeding.done();
  log(`  seeded 10,000 faces (1,000 persons) in ${Math.round(seeded.ms)} ms`);
  const { libraryId } = dist('src/domain/global-id.js');
  const readLibraryId = libraryId('local', 'read10k');

  const gateway = await startGateway('local', { dataDir, providers: [{ id: 'local', kind: 'LOCAL' }] });
  const client = httpClient(1);
  const results = {};
  try {
    const rssAtStart = (await gateway.call('gc'), gateway.rss());
    log('  read: gateway vs bare Apollo baseline ...');
    results.read = await readCase({ gateway, libraryId: readLibraryId, client });
    log(`  read: ratio ${results.read.ratio} (${results.read.gateway.rps} vs ${results.read.baseline.rps} req/s)`);
    const images = await faceCrops();
    log('  engine isolation ...');
    results.engine = await engineIsolationCase({ gateway, client, cheapLibraryId: readLibraryId, images });
    log(
      `  engine isolation: p99 busy/idle ${results.engine.p99Ratio} ` +
        `(${results.engine.busy.p99} vs ${results.engine.idle.p99} ms)`,
    );
    if (run === 0) {
      log('  memory: LOCAL registrations ...');
      const localMemory = await localRegistrationMemory({ gateway, client, images });
      results.memoryLocal = { rssAtStart, rssAfterReadSlices: results.read.rssAfterSlices, ...localMemory };
      log(
        `  memory: LOCAL RSS after rounds ` +
          `${localMemory.rssAfterRounds.map((b) => Math.round(b / 1e6)).join(' -> ')} MB`,
      );
    }
  } finally {
    client.close();
    await gateway.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

/**
 * footprint: RSS of a LOCAL server (empty ledger) after start, under registrations and after, as configured by
 * default and with the two engine workers that were the default on 2 cores before issue 13.
 */
export async function footprintPhase(log) {
  const images = await faceCrops();
  const results = {};
  for (const [side, faceEngine] of [
    ['default', undefined],
    ['twoWorkers', { workers: 2 }],
  ]) {
    const dataDir = tempDir(`footprint-${side}`);
    const gateway = await startGateway(`footprint-${side}`, {
      dataDir,
      faceEngine,
      providers: [{ id: 'local', kind: 'LOCAL' }],
    });
    const client = httpClient(1);
    try {
      const r = await localFootprintCase({ gateway, client, images });
      results[side] = r;
      log(
        `  footprint (${side}): RSS after start ${mb(r.afterStart)} MB, ` +
          `peak under load ${mb(r.peakUnderLoad)} MB, ` +
          `after ${mb(r.afterLoad)} MB; ${r.registered} registered, ${r.registrationsPerSecond}/s`,
      );
    } finally {
      client.close();
      await gateway.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return { footprint: results };
}

/** write overhead and gateway memory over 10,000 registrations, against the FRS emulator. */
export async function frsPhase(log, { run } = FIRST_RUN) {
  const dataDir = tempDir('frs');
  const emulator = await startChild(
    'emulator-child.mjs',
    { BENCH_FRS: JSON.stringify(FRS) },
    { label: 'frs-emulator' },
  );
  const gateway = await startGateway('frs', {
    dataDir,
    providers: [frsProvider(emulator)],
  });
  const client = httpClient(1);
  const results = {};
  try {
    log('  write overhead: updateFace via gateway vs signed PUT straight to the emulator (and via a bare relay) ...');
    const relay = await startChild(
      'relay-child.mjs',
      {
        BENCH_RELAY: JSON.stringify({
          endpoint: emulator.info.endpoint,
          projectId: FRS.projectId,
          accessKeyId: FRS.accessKeyId,
          secretAccessKey: FRS.secretAccessKey,
          faceSet: 'writebench',
        }),
      },
      { label: 'relay' },
    );
    try {
      results.write = await writeOverheadCase({ gateway, emulator, client, relay });
    } finally {
      await relay.stop();
    }
    log(
      `  write overhead: p50 added ${results.write.addedP50} ms ` +
        `(a bare relay adds ${results.write.relayAddedP50} ms; facegraph ${results.write.aboveRelayP50} ms more)`,
    );
    if (run === 0) {
      log('  memory: registrations through the gateway to FRS ...');
      results.memoryFrs = await frsRegistrationMemory({ gateway, client });
      log(
        `  memory: FRS gateway RSS after rounds ` +
          `${results.memoryFrs.rssAfterRounds.map((b) => Math.round(b / 1e6)).join(' -> ')} MB`,
      );
    }
  } finally {
    client.close();
    await gateway.stop();
    await emulator.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

/** fan-out: ledger statements and vendor calls per nested query, LOCAL and HUAWEI_FRS libraries. */
export async function fanOutPhase(log) {
  const dataDir = tempDir('fanout');
  const file = await createLedgerFile(dataDir);
  const emulator = await startChild(
    'emulator-child.mjs',
    { BENCH_FRS: JSON.stringify(FRS) },
    { label: 'frs-emulator' },
  );
  const gateway = await startGateway('fanout', {
    dataDir,
    countVendorCalls: true,
    faceEngine: { workers: 1 },
    providers: [{ id: 'local', kind: 'LOCAL' }, frsProvider(emulator)],
  });
  const client = httpClient(1);
  try {
    log('  fan-out: counting ledger statements and vendor calls ...');
    const result = await fanOutCase({ gateway, emulator, client, ledgerFile: file });
    log(
      `  fan-out: statements per query ${result.stages.map((s) => s.ledgerStatements).join(', ')}; ` +
        `vendor calls ${result.stages.map((s) => s.vendorCalls).join(', ')}`,
    );
    return { fanOut: result };
  } finally {
    client.close();
    await gateway.stop();
    await emulator.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** ledger scale (1,000,000 faces) and search (100,000 descriptors) on one LOCAL server. */
export async function scalePhase(log) {
  const dataDir = tempDir('scale');
  const file = await createLedgerFile(dataDir);
  const faces = size(1_000_000, 100_000);
  const descriptors = size(100_000, 20_000);
  const seeding = openForSeeding(file);
  const scale = seedLibrary(seeding.db, {
    name: 'scale',
    fieldSchema: FIELDS,
    faces,
    fieldsOf: (i) => ({ dept: DEPARTMENTS[i % DEPARTMENTS.length], level: i % 10 }),
  });
  log(`  seeded ${faces.toLocaleString('en')} faces in ${(scale.ms / 1000).toFixed(1)} s`);
  // The probe (seed 7) has five near copies among the synthetic descriptors, so the search finds matches.
  const probe = syntheticDescriptor(7);
  const near = new Map(
    [0.1, 0.15, 0.2, 0.25, 0.3].map((d, k) => [Math.floor(((k + 1) * descriptors) / 6), nearby(probe, d, 1000 + k)]),
  );
  const search = seedLibrary(seeding.db, {
    name: 'search',
    faces: descriptors,
    fieldSchema: [],
    descriptorOf: (i) => near.get(i) ?? syntheticDescriptor(i + 100),
  });
  seedLibrary(seeding.db, { name: 'search0', faces: 0, fieldSchema: [] });
  seeding.done();
  log(`  seeded ${descriptors.toLocaleString('en')} descriptors in ${(search.ms / 1000).toFixed(1)} s`);

  const gateway = await startGateway('scale', {
    dataDir,
    faceEngine: { workers: 1 },
    providers: [{ id: 'local', kind: 'LOCAL' }],
  });
  const client = httpClient(1);
  const results = {};
  try {
    log('  ledger scale: filtered first pages and deep cursor pages ...');
    results.scale = await ledgerScaleCase({ gateway, client, seeded: scale, faces, seedMs: scale.ms });
    for (const v of results.scale.variants)
      log(`  ledger scale: ${v.name}: p50 ${v.latency.p50} ms, p99 ${v.latency.p99} ms (n=${v.latency.n})`);
    log('  search ...');
    results.search = await searchCase({
      gateway,
      client,
      ledgerFile: file,
      probe,
      descriptors,
      seedMs: search.ms,
      images: await faceCrops(),
    });
    log(
      `  search: vendor compare step p50 ${results.search.compare.latency.p50} ms; ` +
        `via API (minus empty library) ${results.search.api.differenceP50} ms; ` +
        `first search after a write p50 ${results.search.compare.afterOneWrite.latency.p50} ms, ` +
        `after a deletion ${results.search.compare.afterOneDelete.latency.p50} ms`,
    );
  } finally {
    client.close();
    await gateway.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

/** million: searchFaces' compare step over 1,000,000 LOCAL descriptors seeded into a ledger (no server). */
export async function millionPhase(log) {
  const dataDir = tempDir('million');
  const file = await createLedgerFile(dataDir);
  const descriptors = size(1_000_000, 100_000);
  const probe = syntheticDescriptor(7);
  const near = new Map(
    [0.1, 0.15, 0.2, 0.25, 0.3].map((d, k) => [Math.floor(((k + 1) * descriptors) / 6), nearby(probe, d, 1000 + k)]),
  );
  const seeding = openForSeeding(file);
  const seeded = seedLibrary(seeding.db, {
    name: 'million',
    faces: descriptors,
    fieldSchema: [],
    descriptorOf: (i) => near.get(i) ?? syntheticDescriptor(i + 100),
  });
  seeding.done();
  log(`  seeded ${descriptors.toLocaleString('en')} descriptors in ${(seeded.ms / 1000).toFixed(1)} s`);
  try {
    const result = await millionSearchCase({ ledgerFile: file, probe, descriptors, seedMs: seeded.ms });
    const f = result.firstSearch;
    log(
      `  search (${descriptors.toLocaleString('en')}): p50 ${result.repeated.latency.p50} ms, ` +
        `p99 ${result.repeated.latency.p99} ms; first search ever ${result.firstEverMs} ms; ` +
        `first after a start from the file p50 ${f.fromFile.p50} ms, from the ledger p50 ${f.fromLedger.p50} ms`,
    );
    return { millionSearch: result };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** limits: hostile requests (issue 11) and the largest allowed answers, on one LOCAL server with 100 faces. */
export async function limitsPhase(log) {
  const dataDir = tempDir('limits');
  const file = await createLedgerFile(dataDir);
  const seeding = openForSeeding(file);
  const fieldsOf = (i) => ({ dept: DEPARTMENTS[i % DEPARTMENTS.length], level: i });
  seedLibrary(seeding.db, { name: 'limits', fieldSchema: FIELDS, faces: 100, fieldsOf });
  seeding.done();
  const { libraryId } = dist('src/domain/global-id.js');
  const gateway = await startGateway('limits', { dataDir, providers: [{ id: 'local', kind: 'LOCAL' }] });
  const client = httpClient(1);
  try {
    const [image] = await faceCrops();
    const limits = await limitsCase({ gateway, client, libraryId: libraryId('local', 'limits'), image });
    for (const k of limits.kinds) {
      log(`  limits: ${k.name}: HTTP ${k.status}, p50 ${k.p50} ms, max ${k.max} ms, peak RSS ${mb(k.peakRssAfter)} MB`);
    }
    return { limits };
  } finally {
    client.close();
    await gateway.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** hostile images: twenty decompression bombs and truncated huge images at once, on a LOCAL server. */
export async function hostilePhase(log) {
  const dataDir = tempDir('hostile');
  const gateway = await startGateway('hostile', { dataDir, providers: [{ id: 'local', kind: 'LOCAL' }] });
  const client = httpClient(1);
  try {
    log('  hostile images: twenty at once, RSS sampled ...');
    const hostile = await hostileImages();
    const result = await hostileImagesCase({ gateway, client, images: await faceCrops(), hostile });
    for (const r of result.rounds) {
      const rss = `${mb(r.before)} -> peak ${mb(r.peak)} -> ${mb(r.after)} MB`;
      log(`  hostile images: RSS ${rss} in ${r.seconds} s; ${JSON.stringify(r.outcomes)}`);
    }
    return { hostile: result };
  } finally {
    client.close();
    await gateway.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * postgres: the ledger scale pages on a PostgreSQL ledger of 1,000,000 faces (a schema of its own, dropped at
 * the end), and read throughput with one and with two replicas on that schema.
 */
export async function postgresPhase(log) {
  const dataDirs = [tempDir('pg-a'), tempDir('pg-b')];
  const faces = size(1_000_000, 100_000); // as the scale phase: a deep filtered page needs 50 matches after its cursor
  let schema;
  try {
    schema = await createPostgresLedger();
  } catch (e) {
    // Named in BENCH_ONLY: fail. In a full run: the other phases' figures are still written.
    if ((process.env.BENCH_ONLY ?? '').split(',').some((s) => s.trim() === 'postgres')) throw e;
    log(
      `  skipped: no PostgreSQL at ${POSTGRES_URL.replace(/\/\/[^@/]*@/, '//')} (${e.message}); set BENCH_POSTGRES_URL`,
    );
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
    return {};
  }
  log(`  schema ${schema.name}`);
  const gateways = [];
  const client = httpClient(1);
  const results = {};
  try {
    const seeding = await openPostgresForSeeding(schema.url);
    const read = await seedPostgresLibrary(seeding.client, { name: 'read10k', faces: 10_000, persons: 1_000 });
    const scale = await seedPostgresLibrary(seeding.client, { name: 'scale', faces });
    const { vacuumAnalyzeMs, checkpointMs, allVisible } = await seeding.done();
    const seedMs = scale.ms + vacuumAnalyzeMs;
    const seconds = (ms) => (ms / 1000).toFixed(1);
    log(
      `  seeded ${faces.toLocaleString('en')} faces in ${seconds(scale.ms)} s ` +
        `(+ VACUUM ANALYZE ${seconds(vacuumAnalyzeMs)} s, ` +
        `${Math.round(allVisible * 100)}% of the face pages all-visible, CHECKPOINT ${seconds(checkpointMs)} s; ` +
        `10,000 faces and 1,000 persons for the read in ${seconds(read.ms)} s)`,
    );

    // Engines of one worker: the LOCAL provider needs one, nothing here detects a face. (The per-caller limit is
    // lifted by server-child.mjs, as for every bench gateway.)
    for (const [i, dataDir] of dataDirs.entries()) {
      const spec = {
        dataDir,
        ledgerUrl: schema.url,
        faceEngine: { workers: 1 },
        providers: [{ id: 'local', kind: 'LOCAL' }],
      };
      gateways.push(await startGateway(`postgres-${i}`, spec));
    }
    log('  ledger scale on PostgreSQL: filtered first pages and deep cursor pages ...');
    const pages = await ledgerScaleCase({ gateway: gateways[0], client, seeded: scale, faces, seedMs });
    results.postgresScale = {
      schemaPerRun: true,
      vacuumAnalyzeSeconds: Math.round(vacuumAnalyzeMs / 100) / 10,
      checkpointSeconds: Math.round(checkpointMs / 100) / 10,
      allVisiblePages: Math.round(allVisible * 1000) / 1000,
      ...pages,
    };
    for (const v of pages.variants)
      log(
        `  ledger scale on PostgreSQL: ${v.name}: p50 ${v.latency.p50} ms, p99 ${v.latency.p99} ms (n=${v.latency.n})`,
      );

    log('  read throughput, one replica then two, no-cache ...');
    const { libraryId } = dist('src/domain/global-id.js');
    const replicas = await replicasCase({ gateways, client, libraryId: libraryId('local', 'read10k') });
    results.postgresReplicas = replicas;
    const cpu = (s) =>
      `gateways ${s.cpuCores.gateways.join(' + ')}, postgres ${s.cpuCores.postgres}, ` +
      `autocannon ${s.cpuCores.benchProcess}, machine ${s.cpuCores.machineBusy} of ${replicas.cores} cores`;
    log(`  read, one replica: ${replicas.one.rps} req/s, ${replicas.one.failed} failed (${cpu(replicas.one)})`);
    log(`  read, two replicas: ${replicas.two.rps} req/s, ${replicas.two.failed} failed (${cpu(replicas.two)})`);
  } finally {
    client.close();
    for (const g of gateways) await g.stop();
    await schema.drop();
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
  }
  return results;
}
