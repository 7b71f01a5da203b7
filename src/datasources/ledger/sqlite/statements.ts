import type Database from 'better-sqlite3';

export type SqlParams = readonly unknown[];

interface RowReader {
  statement: Database.Statement;
  toObject: (row: unknown[]) => Record<string, unknown>;
}

// Every statement goes through here: each SQL text is prepared once, and each execution is counted.
export class Statements {
  private readonly prepared = new Map<string, Database.Statement>();
  private readonly preparedModes = new Map<string, Database.Statement>();
  private readonly rowReaders = new Map<string, RowReader>();
  private executed = 0;
  private writes = 0;

  constructor(private readonly db: Database.Database) {}

  get count(): number {
    return this.executed;
  }

  /**
   * Statements executed that may write: every `run`, and any `get`/`all` of an INSERT, UPDATE or DELETE ... RETURNING
   * (a cache keyed on this must see those too).
   */
  get writeCount(): number {
    return this.writes;
  }

  run(sql: string, params: SqlParams = []): Database.RunResult {
    return this.statement(sql).run(...params);
  }

  /**
   * A write that no cached answer depends on (the audit log and key use times, whose queries are never cached):
   * not counted in writeCount, so it does not empty the read cache.
   */
  runUnversioned(sql: string, params: SqlParams = []): Database.RunResult {
    const result = this.statement(sql).run(...params);
    this.writes--;
    return result;
  }

  get<T>(sql: string, params: SqlParams = []): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  /**
   * With `raw`, each row is an array of its column values; with `pluck`, the value of its first column (no object
   * per row either way: 100,000 row ids pluck in ~22 ms, ~80 ms as raw rows).
   */
  all<T>(sql: string, params: SqlParams = [], options: { raw?: boolean; pluck?: boolean } = {}): T[] {
    const mode = options.pluck ? 'pluck' : options.raw ? 'raw' : null;
    if (!mode) {
      const { statement, toObject } = this.rowReader(sql);
      this.executed++;
      if (!statement.readonly) this.writes++;
      const rows = statement.all(...params) as unknown[][];
      for (let i = 0; i < rows.length; i++) (rows as unknown[])[i] = toObject(rows[i]!);
      return rows as T[];
    }
    this.executed++;
    const statement = this.modeStatement(sql, mode);
    if (!statement.readonly) this.writes++;
    return statement.all(...params) as T[];
  }

  iterate<T>(sql: string, params: SqlParams = []): IterableIterator<T> {
    return this.statement(sql).iterate(...params) as IterableIterator<T>;
  }

  pragma(source: string): unknown {
    this.executed++;
    return this.db.pragma(source, { simple: true });
  }

  /**
   * Runs fn in one IMMEDIATE transaction (a savepoint when nested), so a writer never has to upgrade a read lock.
   * `beforeCommit` runs last inside the outermost one (the ledger writes the operation's audit row there).
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(fn).immediate();
    return this.db
      .transaction(() => {
        const result = fn();
        this.beforeCommit?.();
        return result;
      })
      .immediate();
  }

  beforeCommit: (() => void) | null = null;

  // Raw and pluck are settings of a prepared statement, so each gets its own.
  private modeStatement(sql: string, mode: 'raw' | 'pluck'): Database.Statement {
    const key = `${mode}\u0000${sql}`;
    let statement = this.preparedModes.get(key);
    if (!statement) {
      statement = mode === 'raw' ? this.db.prepare(sql).raw(true) : this.db.prepare(sql).pluck(true);
      this.preparedModes.set(key, statement);
    }
    return statement;
  }

  /**
   * For `all` without a mode: the statement in raw mode, and a function made once from its column names that turns
   * a row's values into the object better-sqlite3 would have made. better-sqlite3 builds row objects property by
   * property from C++; a page of 51 faces (16 columns) reads in about half the time this way.
   */
  private rowReader(sql: string): RowReader {
    let reader = this.rowReaders.get(sql);
    if (!reader) {
      const statement = this.db.prepare(sql).raw(true);
      const names = statement.columns().map((column) => column.name);
      // Later columns of the same name win, as in better-sqlite3's own objects.
      const properties = names.map((name, i) => `${JSON.stringify(name)}: row[${i}]`).join(', ');
      const toObject = new Function('row', `return { ${properties} };`) as RowReader['toObject'];
      reader = { statement, toObject };
      this.rowReaders.set(sql, reader);
    }
    return reader;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    this.executed++;
    if (!statement.readonly) this.writes++;
    return statement;
  }
}
