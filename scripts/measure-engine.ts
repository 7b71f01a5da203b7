// Measures the LOCAL face engine on this machine: start-up time, time per photo, faces found in each face-api
// demo sample, throughput per worker count, and the descriptor distances between all sample faces and
// between each face and a resized, re-encoded copy of its photo. Its output backs the numbers quoted in
// src/datasources/vendors/local/engine/*.ts.
//
//   npm run build && node dist/scripts/measure-engine.js [maxWorkers]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  distanceToSimilarity,
  euclideanDistance,
  startFaceEngine,
  type DetectedFace,
  type FaceEngine,
} from '../src/datasources/vendors/local/engine/face-engine';

const SAMPLE_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const samples = [1, 2, 3, 4, 5, 6].map((n) => fs.readFileSync(path.join(SAMPLE_DIR, `sample${n}.jpg`)));

const ms = (since: number) => Math.round(performance.now() - since);
const byX = (faces: DetectedFace[]) => [...faces].sort((a, b) => a.box.x - b.box.x);

async function timeEngine(workers: number): Promise<FaceEngine> {
  const started = performance.now();
  const engine = startFaceEngine({ workers, maxQueue: 1000 });
  await engine.whenReady();
  console.log(`\n== ${workers} worker(s): ready in ${ms(started)} ms`);
  for (const [i, photo] of samples.entries()) {
    const t = performance.now();
    const faces = await engine.detect(photo);
    const scores = byX(faces).map((f) => `${f.score.toFixed(2)}@${f.box.x},${f.box.y} ${f.box.width}x${f.box.height}`);
    console.log(`sample${i + 1}: ${faces.length} faces in ${ms(t)} ms  [${scores.join('; ')}]`);
  }
  const batch = [...samples, ...samples, ...samples, ...samples];
  const t = performance.now();
  await Promise.all(batch.map((photo) => engine.detect(photo)));
  const total = ms(t);
  console.log(
    `batch of ${batch.length}: ${total} ms, ${Math.round(total / batch.length)} ms per photo; ` +
      `rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
  );
  return engine;
}

function summary(values: number[]): string {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))]!.toFixed(3);
  return `n=${v.length} min ${at(0)} p5 ${at(0.05)} p25 ${at(0.25)} median ${at(0.5)} p75 ${at(0.75)} max ${at(1)}`;
}

async function distances(engine: FaceEngine): Promise<void> {
  const faces: { id: string; face: DetectedFace }[] = [];
  for (const [i, photo] of samples.entries()) {
    byX(await engine.detect(photo)).forEach((face, k) => faces.push({ id: `s${i + 1}.${k + 1}`, face }));
  }
  const pairs: { ids: string; d: number }[] = [];
  for (let a = 0; a < faces.length; a++) {
    for (let b = a + 1; b < faces.length; b++) {
      pairs.push({
        ids: `${faces[a]!.id}-${faces[b]!.id}`,
        d: euclideanDistance(faces[a]!.face.descriptor, faces[b]!.face.descriptor),
      });
    }
  }
  pairs.sort((x, y) => x.d - y.d);
  console.log(`\nall pairs of sample faces (different people): ${summary(pairs.map((p) => p.d))}`);
  console.log(
    `  closest: ${pairs
      .slice(0, 6)
      .map((p) => `${p.ids} ${p.d.toFixed(3)} (similarity ${distanceToSimilarity(p.d).toFixed(2)})`)
      .join(', ')}`,
  );
  console.log(
    `  below distance 0.6: ${pairs.filter((p) => p.d < 0.6).length}; ` +
      `at similarity >= 0.6: ${pairs.filter((p) => distanceToSimilarity(p.d) >= 0.6).length}`,
  );

  const same: number[] = [];
  for (const [i, photo] of samples.entries()) {
    const { width = 0 } = await sharp(photo).metadata();
    const copy = await sharp(photo)
      .resize({ width: Math.round(width * 0.6) })
      .jpeg({ quality: 70 })
      .toBuffer();
    const originals = faces.filter((f) => f.id.startsWith(`s${i + 1}.`));
    byX(await engine.detect(copy)).forEach((f, k) => {
      if (originals[k]) same.push(euclideanDistance(f.descriptor, originals[k]!.face.descriptor));
    });
  }
  console.log(
    `same face, photo at 60% and JPEG quality 70: ${summary(same)}; ` +
      `lowest similarity ${distanceToSimilarity(Math.max(...same)).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const maxWorkers = Number(process.argv[2] ?? os.availableParallelism());
  console.log(`cpus: ${os.availableParallelism()}, node ${process.version}`);
  let last: FaceEngine | null = null;
  for (let workers = 1; workers <= maxWorkers; workers++) {
    await last?.close();
    last = await timeEngine(workers);
  }
  await distances(last!);
  await last!.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
