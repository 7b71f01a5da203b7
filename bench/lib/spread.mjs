// Repeated runs of the bench, summarised without knowing what any case measures: the median run (every number
// the median of that number across runs, every yes/no the majority's) and, in the printed table, the range each
// figure took over the runs. New cases get both by returning their figures as usual.

import { median, round } from './util.mjs';

/**
 * One result object from several runs of the same phases: numbers -> median, booleans -> true only when more
 * than half the runs say true, arrays and objects member by member, anything else from the first run that has it.
 */
export function medianOf(runs) {
  const present = runs.filter((r) => r !== undefined && r !== null);
  if (present.length === 0) return undefined;
  const first = present[0];
  if (typeof first === 'number') {
    const numbers = present.filter((v) => typeof v === 'number' && Number.isFinite(v));
    return numbers.length ? round(median(numbers), 3) : first;
  }
  if (typeof first === 'boolean') return present.filter((v) => v === true).length * 2 > present.length;
  if (Array.isArray(first)) {
    const arrays = present.filter(Array.isArray);
    const length = Math.max(...arrays.map((a) => a.length));
    return Array.from({ length }, (_, i) => medianOf(arrays.map((a) => a[i])));
  }
  if (typeof first === 'object') {
    const objects = present.filter((v) => typeof v === 'object' && !Array.isArray(v));
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    return Object.fromEntries(keys.map((k) => [k, medianOf(objects.map((o) => o[k]))]));
  }
  return first;
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?/g;
const parse = (token) => Number(token.replace(/,/g, ''));

/**
 * The median run's table rows, each number followed by its range over the runs, "1.44 (1.34-1.93)", where the
 * runs' cell has the same words and the number moved. Rows are matched by their first cell (and its occurrence).
 */
export function withSpread(medianRows, runRows) {
  if (runRows.length < 2) return medianRows;
  const index = (rows) => {
    const seen = new Map();
    const byLabel = new Map();
    for (const row of rows) {
      const n = seen.get(row[0]) ?? 0;
      seen.set(row[0], n + 1);
      byLabel.set(`${row[0]}\u0000${n}`, row);
    }
    return byLabel;
  };
  const indexed = runRows.map(index);
  const seen = new Map();
  return medianRows.map((row, r) => {
    if (r === 0) return row; // the header
    const n = seen.get(row[0]) ?? 0;
    seen.set(row[0], n + 1);
    const others = indexed.map((byLabel) => byLabel.get(`${row[0]}\u0000${n}`)).filter(Boolean);
    return row.map((cell, c) =>
      c === 0
        ? cell
        : cellWithSpread(
            String(cell),
            others.map((o) => String(o[c] ?? '')),
          ),
    );
  });
}

function cellWithSpread(cell, runCells) {
  const skeleton = cell.replace(NUMBER, '#');
  const runNumbers = runCells
    .filter((other) => other.replace(NUMBER, '#') === skeleton)
    .map((other) => other.match(NUMBER) ?? []);
  if (runNumbers.length < 2) return cell;
  let position = 0;
  return cell.replace(NUMBER, (token) => {
    const values = runNumbers.map((numbers) => parse(numbers[position]));
    position++;
    const min = Math.min(...values);
    const max = Math.max(...values);
    if (min === max) return token;
    const show = (x) => x.toLocaleString('en', { maximumFractionDigits: 3 });
    return `${token} (${show(min)}-${show(max)})`;
  });
}
