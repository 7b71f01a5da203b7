// Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=1 npm run bench, or node --cpu-prof): self time by
// function and by package/file, and inclusive time of selected functions.
//
//   node bench/profile-summary.mjs bench/profiles/local-*.cpuprofile [top=25] [inclusive-regex]

import fs from 'node:fs';

const [file, topArg, inclusiveArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top] [inclusive-regex]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas.
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (cf) => {
  const url = cf.url || '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const d = /\/dist\/(.*)$/.exec(url);
  if (d) return `dist/${d[1]}`;
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
};
const fnName = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf)}:${cf.lineNumber + 1}`;

const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v);
const byFunction = new Map();
const byPackage = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  add(byFunction, fnName(cf), t);
  add(byPackage, where(cf), t);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
show('self time by package / file', byPackage);
show('self time by function', byFunction);

// Inclusive time of functions whose name matches the regex (each sample counted once per matching name).
if (inclusiveArg) {
  const re = new RegExp(inclusiveArg);
  const inclusive = new Map();
  for (const [id, t] of self) {
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const name = fnName(byId.get(n).callFrame);
      if (re.test(name) && !seen.has(name)) {
        seen.add(name);
        add(inclusive, name, t);
      }
    }
  }
  show(`inclusive time of /${inclusiveArg}/`, inclusive);
}
