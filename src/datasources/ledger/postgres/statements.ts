import pg from 'pg';

export type SqlParams = readonly unknown[];

/** Where statements run: the pool (each on any free connection) or one transaction's connection. */
export interface Session {
  rows<T>(sql: string, params?: SqlParams): Promise<T[]>;
  row<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs a statement and returns the number of rows it affected. */
  run(sql: string, params?: SqlParams): Promise<number>;
}

const INT8_OID = 20;

// Row ids and counts are bigint; every one of them fits a double by far, so they come back as numbers.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A request waits at most this long for a pooled connection (all busy, or the server unreachable), then fails. */
const CONNECTION_WAIT_MS = 10_000;

export function createPool(connectionString: string, poolSize: number): pg.Pool {
  return new pg.Pool({ connectionString, max: poolSize, types, connectionTimeoutMillis: CONNECTION_WAIT_MS });
}

// Statements are written with `?` placeholders (the SQL shapes shared with SQLite) and numbered here; the ledger's SQL
// holds no `?` operator and no `?` in a literal.
interface NumberedStatement {
  text: string;
  /**
   * The name it is prepared under on each pooled connection, or null (sent unnamed: parsed and planned each time).
   * A statement on the pool is parsed once per connection under its name; its later runs skip parsing and analysis
   * (0.1-0.2 ms of the deep filtered face page's 2 ms round trip on a warm connection), and PostgreSQL keeps a
   * generic plan where it costs no more than the plans made for each run's values (the filtered page's index walk:
   * 1.2 ms less PostgreSQL CPU per page under load than with plan_cache_mode = force_custom_plan; paging.ts says
   * why the others are still planned per run). The page and lookup statements name their result columns, so a
   * migration adding a column leaves them as they are; one that changes what a statement returns (a column added
   * under `SELECT *`, a type changed) is handled in query() below.
   */
  name: string | null;
}
const numbered = new Map<string, NumberedStatement>();
/** Distinct named statements at most (per connection, as each prepares those it runs); the ledger has far fewer. */
const MAX_NAMED_STATEMENTS = 200;
let namedStatements = 0;

function numberPlaceholders(sql: string): NumberedStatement {
  let statement = numbered.get(sql);
  if (statement === undefined) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    // Statements without parameters go as one simple-protocol message, already the cheapest way.
    const name = n > 0 && namedStatements < MAX_NAMED_STATEMENTS ? `facegraph_${++namedStatements}` : null;
    statement = { text, name };
    numbered.set(sql, statement);
  }
  return statement;
}

/**
 * PostgreSQL refuses to run a prepared statement whose result columns a migration changed (SQLSTATE 0A000, "cached
 * plan must not change result type"), before it runs anything; the pool drops the connection that failed.
 */
function resultTypeChanged(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { code?: unknown }).code === '0A000' &&
    /cached plan must not change result type/.test(String((e as { message?: unknown }).message))
  );
}

/** Every statement goes through here, to be counted; transactions take one pooled connection each. */
export class PgStatements implements Session {
  private executed = 0;
  /** Runs last inside every transaction, before COMMIT (the ledger writes the operation's audit row there). */
  beforeCommit: ((tx: Session) => Promise<void>) | null = null;

  constructor(readonly pool: pg.Pool) {}

  get count(): number {
    return this.executed;
  }

  rows<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.query<T>(this.pool, sql, params).then((r) => r.rows);
  }

  async row<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return (await this.query<T>(this.pool, sql, params)).rows[0];
  }

  async run(sql: string, params: SqlParams = []): Promise<number> {
    return (await this.query(this.pool, sql, params)).rowCount ?? 0;
  }

  /**
   * BEGIN ... COMMIT on one pooled connection; ROLLBACK when fn or the commit fails. BEGIN, COMMIT and ROLLBACK
   * are not counted: queryCount() compares with SQLite's, which counts neither.
   */
  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = this.sessionOn(client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await this.beforeCommit?.(tx);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      // A connection that cannot even roll back is dropped rather than handed to the next caller.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Runs fn on one connection outside any transaction (migrations hold a session-level lock on it). */
  async withConnection<T>(fn: (session: Session & { raw: pg.PoolClient }) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn({ ...this.sessionOn(client), raw: client });
    } finally {
      client.release();
    }
  }

  private sessionOn(client: pg.PoolClient): Session {
    return {
      rows: async <T>(sql: string, params: SqlParams = []) => (await this.query<T>(client, sql, params)).rows,
      row: async <T>(sql: string, params: SqlParams = []) => (await this.query<T>(client, sql, params)).rows[0],
      run: async (sql: string, params: SqlParams = []) => (await this.query(client, sql, params)).rowCount ?? 0,
    };
  }

  private query<T>(
    on: pg.Pool | pg.PoolClient,
    sql: string,
    params: SqlParams,
  ): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    this.executed++;
    const { text, name } = numberPlaceholders(sql);
    const values = params as unknown[];
    // Only statements on the pool are named: a failure there drops the connection it ran on (pg-pool releases it
    // with the error), so a statement a migration made stale (on another replica, during a rolling upgrade) is run
    // again unnamed, and that connection never sees it again. A transaction's connection goes back to the pool
    // after its ROLLBACK, so its statements stay unnamed.
    if (name === null || on !== this.pool) return on.query<T & pg.QueryResultRow>(text, values);
    return on.query<T & pg.QueryResultRow>({ name, text, values }).catch((e: unknown) => {
      if (!resultTypeChanged(e)) throw e;
      return on.query<T & pg.QueryResultRow>(text, values);
    });
  }
}
