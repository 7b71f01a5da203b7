/** Per-request fault injection shared by the emulators: a queue of rules consumed by matching requests. */

/** Answer with this status (the default body is the vendor's). `apply: true` runs the operation first. */
export type StatusFault = {
  kind: 'status';
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  apply?: boolean;
};

export type FaultSpec<Status extends StatusFault = StatusFault> =
  | Status
  /**
   * Answer `ms` later. Default: wait first, then run the operation — skipped if the client has gone
   * away meanwhile (it timed out before the vendor acted). `applyThenDelay: true`: run the operation
   * at once and only delay the answer (the vendor acted, the client timed out).
   */
  | { kind: 'delay'; ms: number; applyThenDelay?: boolean }
  /** 200 + `Content-Type: application/json` with a truncated JSON body. */
  | { kind: 'malformed-json'; apply?: boolean }
  /** Destroy the socket after the request was read (optionally after running the operation). */
  | { kind: 'drop'; apply?: boolean };

export type FaultRule<Spec, Operation extends string> = Spec & {
  /** only requests for this operation consume the rule (default: any operation). */
  operation?: Operation;
  /** how many matching requests it affects (default 1). */
  times?: number;
};

export class FaultController<Spec extends FaultSpec<StatusFault>, Operation extends string> {
  private readonly rules: { rule: FaultRule<Spec, Operation>; left: number }[] = [];

  /** `operations`: when given, rules naming any other operation are refused. */
  constructor(private readonly operations?: readonly string[]) {}

  /** Queue a fault for the next matching request(s). */
  next(rule: FaultRule<Spec, Operation>): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error('times must be a positive integer');
    if (this.operations && rule.operation !== undefined && !this.operations.includes(rule.operation)) {
      throw new Error(`unknown operation "${rule.operation}" (one of ${this.operations.join(', ')})`);
    }
    this.rules.push({ rule, left: times });
  }

  /** Consumes and returns the first rule matching `operation`. */
  take(operation: Operation): Spec | undefined {
    const index = this.rules.findIndex((r) => r.rule.operation === undefined || r.rule.operation === operation);
    if (index < 0) return undefined;
    const entry = this.rules[index] as { rule: FaultRule<Spec, Operation>; left: number };
    entry.left -= 1;
    if (entry.left === 0) this.rules.splice(index, 1);
    return entry.rule;
  }

  clear(): void {
    this.rules.length = 0;
  }

  get pending(): readonly FaultRule<Spec, Operation>[] {
    return this.rules.map((r) => ({ ...r.rule, times: r.left }));
  }
}
