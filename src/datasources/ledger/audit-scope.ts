import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEntry } from './access-records';

// The audit row of a mutation is written in the same ledger transaction as the change it records (design.md,
// "Access"). The resolver layer opens a scope for the operation; the first ledger write made inside it takes the
// pending entry and inserts it before its own commit, adding the ids of what it created. An operation that writes
// nothing (an error member, a dry run, a search) is recorded on its own by the resolver layer afterwards.

export interface AuditScope {
  entry: Omit<AuditEntry, 'at' | 'outcome'>;
  /** The outcome to record when the change commits: the operation's success type. */
  successOutcome: string;
  /** Set once the entry is in the ledger. */
  recorded: boolean;
  /** Ids of what the operation's first write created, noted by the ledger before the entry is taken. */
  created?: string[];
}

const scopes = new AsyncLocalStorage<AuditScope>();

export function runInAuditScope<T>(scope: AuditScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/** A ledger write names what it created (a face, a person...), so the audit entry can list it. */
export function noteCreatedId(id: string): void {
  const scope = scopes.getStore();
  if (scope && !scope.recorded) (scope.created ??= []).push(id);
}

/** For a ledger write, before its transaction commits: the entry to insert now (once per operation), or null. */
export function takePendingAudit(): AuditEntry | null {
  const scope = scopes.getStore();
  if (!scope || scope.recorded) return null;
  scope.recorded = true;
  const targetIds = [...new Set([...scope.entry.targetIds, ...(scope.created ?? [])])];
  return { ...scope.entry, targetIds, at: new Date(), outcome: scope.successOutcome };
}

/** Who is making the change under way, as its audit entry names them; null outside an audited operation. */
export function currentActor(): string | null {
  return scopes.getStore()?.entry.actor ?? null;
}
