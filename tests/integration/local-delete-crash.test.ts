import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { facePhoto } from '../support/images';
import { resultOf } from '../support/graphql-results';
import { startTestServer } from '../support/test-server';

// The compiled server (npm test builds it first) is killed with SIGKILL while bulk LOCAL deletes run. Whatever the
// moment, no face row may be left whose image file is gone; an image file left without a face is removed when
// the server starts again.

const MAIN = path.resolve(__dirname, '../../dist/src/server/main.js');
const CYCLES = 8;
const IMAGES = 12;
const FACES_PER_IMAGE = 2;

interface Seed {
  dir: string;
  libraryId: string;
  /** Face ids, FACES_PER_IMAGE per image, in image order. */
  faceIds: string[];
}

/** A data dir with one LOCAL library whose faces share images in pairs, each pair under one externalImageId. */
async function seed(): Promise<Seed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-crash-seed-'));
  const server = await startTestServer({ dataDir: dir });
  try {
    const op = (query: string, variables: Record<string, unknown> = {}) => resultOf(server.url, query, variables);
    const created = await op(`mutation { createLibrary(input: {providerId: "local", name: "crash"}) {
      ... on CreateLibrarySuccess { library { id } } } }`);
    const libraryId = created.library.id as string;
    const faceIds: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const image = await facePhoto(i % 2 === 0 ? 'A' : 'B', 'jpeg', Math.floor(i / 2));
      for (let k = 0; k < FACES_PER_IMAGE; k++) {
        const registered = await op(
          `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { ... on RegisterFaceSuccess { face { id } } } }`,
          { i: { libraryId, image: { base64: image.toString('base64') }, externalImageId: `img-${i}` } },
        );
        faceIds.push(registered.face.id);
      }
    }
    return { dir, libraryId, faceIds };
  } finally {
    await server.close();
  }
}

function startServer(dataDir: string): { child: ChildProcess; url: Promise<string>; exited: Promise<void> } {
  const configFile = path.join(dataDir, 'facegraph.yaml');
  fs.writeFileSync(configFile, 'faceEngine:\n  workers: 1\n');
  const child = spawn(process.execPath, [MAIN], {
    cwd: dataDir,
    env: { ...process.env, FACEGRAPH_CONFIG: configFile, PORT: '0', HOST: '127.0.0.1', FACEGRAPH_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /GraphiQL at (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!.replace('localhost', '127.0.0.1'));
    });
    child.on('exit', () => reject(new Error(`the server exited before it was ready:\n${seen}`)));
  });
  return { child, url, exited };
}

/** Face rows whose image file is missing, and image files no face row references. */
function inspect(dataDir: string): { faceRows: number; rowsWithoutImage: number; unreferencedFiles: number } {
  const db = new Database(path.join(dataDir, 'facegraph.db'));
  const images = db.prepare('SELECT image_sha256 FROM faces').pluck().all() as (string | null)[];
  db.close();
  const root = path.join(dataDir, 'images');
  const prefixes = fs.existsSync(root) ? fs.readdirSync(root) : [];
  const stored = new Set(prefixes.flatMap((prefix) => fs.readdirSync(path.join(root, prefix))));
  const referenced = new Set(images);
  return {
    faceRows: images.length,
    rowsWithoutImage: images.filter((sha) => sha !== null && !stored.has(sha)).length,
    unreferencedFiles: [...stored].filter((name) => !referenced.has(name)).length,
  };
}

test(`SIGKILL during bulk deletes leaves no face row without its image, and start-up sweeps orphans`, async () => {
  expect(fs.existsSync(MAIN)).toBe(true);
  const template = await seed();
  const outcomes: Record<string, number>[] = [];

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-crash-'));
    fs.cpSync(template.dir, dir, { recursive: true });
    const killAfterMs = (cycle * 3) % 8;
    const server = startServer(dir);
    try {
      const url = await server.url;
      const headers = { 'content-type': 'application/json' };
      const post = (query: string, variables: object) =>
        fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) }).catch(() => undefined);
      const mutation = `mutation($l: ID!, $f: FaceFilter!, $d: Boolean) {
        deleteFaces(libraryId: $l, filter: $f, dryRun: $d) { __typename } }`;
      // Warmed up by dry runs of both kinds, so that the kill lands while the deletes run, not before they start.
      for (let i = 0; i < 3; i++) {
        await post(mutation, { l: template.libraryId, f: { externalImageId: 'img-0' }, d: true });
        await post(mutation, { l: template.libraryId, f: { faceIds: template.faceIds.slice(0, 4) }, d: true });
      }
      // Half the images by externalImageId, the other half by ids in overlapping groups.
      const deletes: Promise<unknown>[] = [];
      for (let i = 0; i < IMAGES; i += 2) {
        deletes.push(post(mutation, { l: template.libraryId, f: { externalImageId: `img-${i}` } }));
      }
      for (let f = FACES_PER_IMAGE; f < template.faceIds.length; f += FACES_PER_IMAGE * 2) {
        const faceIds = template.faceIds.slice(f, f + FACES_PER_IMAGE * 3);
        deletes.push(post(mutation, { l: template.libraryId, f: { faceIds } }));
      }
      // The kill lands within a few ms of the first delete's answer, while the others are under way.
      await Promise.race(deletes);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    const { rowsWithoutImage, faceRows, unreferencedFiles } = inspect(dir);

    // Started again: the sweep removes what the crash left without a face, and nothing a face still has.
    const restarted = startServer(dir);
    try {
      await restarted.url;
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
    const after = inspect(dir);
    const unreferencedAfterRestart = after.unreferencedFiles;
    outcomes.push({ killAfterMs, faceRows, rowsWithoutImage, unreferencedFiles, unreferencedAfterRestart });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(template.dir, { recursive: true, force: true });
  expect(outcomes.filter((o) => o.rowsWithoutImage! > 0 || o.unreferencedAfterRestart! > 0)).toEqual([]);
  // The kills did land while deletes were under way (some done, some not), or the test proved nothing.
  const total = template.faceIds.length;
  expect(outcomes.filter((o) => o.faceRows! > 0 && o.faceRows! < total).length).toBeGreaterThan(0);
}, 300_000);
