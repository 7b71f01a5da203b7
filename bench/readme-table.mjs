// Writes the bench table of one or more results files into README.md's "Performance" section, between the
// bench-table markers, so the README's figures are the ones results.json holds (never edited by hand).
//
//   node bench/readme-table.mjs                          # from bench/results.json
//   node bench/readme-table.mjs a.json b.json            # several runs (e.g. BENCH_ONLY=local,frs and postgres)
//
// npm run bench calls it after a full run (every phase, not BENCH_QUICK), or with BENCH_README=1.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, ROOT } from './lib/util.mjs';

const START = '<!-- bench-table: start (written by bench/readme-table.mjs from results.json; do not edit by hand) -->';
const END = '<!-- bench-table: end -->';

/** What a report's table is: the command, when, on what, and how many runs it summarises. */
function heading(report) {
  const m = report.machine;
  const when = `${report.date.slice(0, 10)} ${report.date.slice(11, 16)} UTC`;
  const commit = report.source?.commit
    ? `commit ${report.source.commit.slice(0, 7)}${report.source.srcChanged ? ' with local changes in src/' : ''}`
    : 'commit unknown';
  const load = `load average ${m.loadAverageAtStart?.[0]} at the start, ${m.loadAverageAtEnd?.[0]} at the end`;
  const runs =
    (report.repeat ?? 1) > 1
      ? `; ${report.repeat} runs of each phase: the median run, with each figure's range over the runs in brackets`
      : '; one run';
  return (
    `\`${report.command}\`, ${when}, ${commit}: ${m.cpuModel}, ${m.cores} cores, ${m.os}, ` +
    `Node ${m.node}, ${load}${runs}.`
  );
}

/** Replaces the marked block of README.md with the reports' tables; returns what it did. */
export function writeReadmeTable(reports, readme = path.join(ROOT, 'README.md')) {
  const missing = reports.find((r) => typeof r.table !== 'string');
  if (missing)
    throw new Error(
      `a results file from ${missing.date} has no table: it predates bench/readme-table.mjs; run npm run bench again`,
    );
  const text = fs.readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${readme}: no ${START} ... ${END} block to replace`);
  const block = reports.map((r) => `${heading(r)}\n\n${r.table}`).join('\n\n');
  fs.writeFileSync(readme, `${text.slice(0, start + START.length)}\n${block}\n${text.slice(end)}`);
  return `table written from ${reports.length} results file${reports.length > 1 ? 's' : ''}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  const reports = (files.length ? files : [path.join(BENCH_DIR, 'results.json')]).map((f) =>
    JSON.parse(fs.readFileSync(f, 'utf8')),
  );
  process.stdout.write(`README.md: ${writeReadmeTable(reports)}\n`);
}
