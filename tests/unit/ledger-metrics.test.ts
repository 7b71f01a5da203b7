import { openLedger } from '../../src/datasources/ledger';
import type { LedgerStore } from '../../src/datasources/ledger/ledger-store';
import { FacegraphMetrics } from '../../src/server/observability';
import { instrumentLedger } from '../../src/server/observability/ledger-instrumentation';
import type { LedgerPoolStats } from '../../src/server/observability/metrics';

// The ledger as /metrics sees it: every method call counted by name and outcome, the statements of the store, and
// the pool of a pooled store (the contract a PostgreSQL ledger meets with a `poolStats()` method).

let ledger: LedgerStore;
beforeEach(async () => {
  ledger = await openLedger('sqlite::memory:');
});
afterEach(async () => {
  await ledger.close();
});

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

test('counts method calls by name and outcome, and reports the statements run', async () => {
  const metrics = new FacegraphMetrics();
  const observed = instrumentLedger(ledger, metrics, false);
  await observed.access.countUsableApiKeys(new Date());
  // No such library: NotFoundError.
  await expect(observed.updateLibrary(424242, { displayName: 'x' })).rejects.toThrow();
  const text = await metrics.registry.metrics();
  expect(line(text, 'facegraph_ledger_calls_total{method="access.countUsableApiKeys",outcome="ok"}')).toMatch(/ 1$/);
  expect(line(text, 'facegraph_ledger_calls_total{method="updateLibrary",outcome="error"}')).toMatch(/ 1$/);
  expect(Number(line(text, 'facegraph_ledger_statements')?.split(' ')[1])).toBe(ledger.queryCount());
  // SQLite has no pool: no pool series rather than made-up numbers.
  expect(text).not.toMatch(/^facegraph_ledger_pool_connections\{/m);
});

test('reports the pool of a store that has one', async () => {
  const pool: LedgerPoolStats = { total: 10, idle: 7, waiting: 2 };
  const pooled = Object.assign(ledger, { poolStats: () => pool });
  const metrics = new FacegraphMetrics();
  instrumentLedger(pooled, metrics, false);
  const text = await metrics.registry.metrics();
  expect(line(text, 'facegraph_ledger_pool_connections{state="total"}')).toBe(
    'facegraph_ledger_pool_connections{state="total"} 10',
  );
  expect(line(text, 'facegraph_ledger_pool_connections{state="idle"}')).toBe(
    'facegraph_ledger_pool_connections{state="idle"} 7',
  );
  expect(line(text, 'facegraph_ledger_pool_connections{state="waiting"}')).toBe(
    'facegraph_ledger_pool_connections{state="waiting"} 2',
  );
});
