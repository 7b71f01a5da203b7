import type { Logger } from 'pino';
import type { LedgerStore } from '../datasources/ledger/ledger-store';

/** audit.retentionDays is applied at start and then hourly. */
const AUDIT_PRUNE_INTERVAL_MS = 60 * 60_000;

/** Prunes the audit log now and hourly; returns what stops it. */
export function pruneAuditPeriodically(ledger: LedgerStore, retentionDays: number, logger: Logger): () => void {
  const pruneAudit = () =>
    ledger.access
      .pruneAuditEvents(new Date(Date.now() - retentionDays * 86_400_000))
      .catch((e) => logger.warn({ err: e }, 'could not prune the audit log'));
  void pruneAudit();
  const auditPruning = setInterval(pruneAudit, AUDIT_PRUNE_INTERVAL_MS);
  auditPruning.unref();
  return () => clearInterval(auditPruning);
}
