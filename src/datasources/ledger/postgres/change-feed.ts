import pg from 'pg';

// Every replica must drop cached answers and descriptor matrices as soon as any replica writes. Writes NOTIFY the
// ledger's version on a channel; each replica LISTENs on one dedicated connection and keeps the latest version in
// memory, so checking "has the ledger changed?" costs no round trip. A lost connection means notifications may have
// been missed: until it is back, the version is different on every call, so nothing cached is ever served.

export interface ChangeFeedOptions {
  connectionString: string;
  channel: string;
  /** Reads the ledger's current version (after (re)connecting, to catch what happened while not listening). */
  readVersion: () => Promise<string>;
  onError?: (e: unknown) => void;
  /** First and longest wait between reconnection attempts. */
  retryMs?: { first: number; max: number };
}

export class LedgerChangeFeed {
  private client: pg.Client | null = null;
  private version: string | null = null;
  private epoch = 0;
  private blind = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private nextDelay: number;

  constructor(private readonly options: ChangeFeedOptions) {
    this.nextDelay = options.retryMs?.first ?? 100;
  }

  /** Resolves once listening (or rejects with the first connection error; reconnection goes on in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** The version to key caches on: stable while nothing changed and the feed is up; never repeats while it is down. */
  current(): string {
    if (this.version === null) return `blind:${++this.blind}`;
    return `${this.epoch}:${this.version}`;
  }

  get listening(): boolean {
    return this.version !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.version = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      if (message.channel === this.options.channel && message.payload) this.version = message.payload;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.options.channel)}`);
      const version = await this.options.readVersion();
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.epoch++;
      this.version = version;
      this.nextDelay = this.options.retryMs?.first ?? 100;
    } catch (e) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
      throw e;
    }
  }

  private lost(client: pg.Client, e: unknown): void {
    if (client !== this.client) return;
    this.client = null;
    this.version = null;
    if (e) this.options.onError?.(e);
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    const delay = this.nextDelay;
    this.nextDelay = Math.min(delay * 2, this.options.retryMs?.max ?? 5_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch((e) => this.options.onError?.(e));
    }, delay);
    this.retry.unref();
  }
}
