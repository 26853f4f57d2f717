import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { WriterLease } from '../../core/ports.js';
import { LeaseHeldError, LeaseLostError, type LeaseGrant, type LeaseHolder } from '../../core/writer-lease.js';
import { clientConfig, pgLibrary, type PgLocation } from './connection.js';
import { LOCK_SPACE, WRITER_LOCK } from './database.js';

interface LeaseRow {
  token: string;
  pid: number;
  host: string;
  command: string;
  since: number;
  heartbeat_at: number;
}

/**
 * The writer's own connection to PostgreSQL. It holds the session-level advisory lock that
 * makes this process the one writer of the database, and every commit goes through it: when
 * the connection ends (the process died, the network or the server went away), the lock and
 * any transaction in progress end with it, so a process never commits without holding the
 * lock, and a standby can take the lock as soon as the server has noticed. `writer_lease`
 * describes the holder (pid, host, command, since, last renewal) for the messages.
 */
export class PgWriter implements WriterLease {
  private client: pg.Client | null = null;
  private broken: Error | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly token = randomBytes(12).toString('hex');
  private command: string | null = null;
  private since = 0;

  constructor(
    private readonly loc: PgLocation,
    private readonly env: { pid: number; host: string; now(): number } = { pid: process.pid, host: hostname(), now: Date.now },
  ) {}

  /** The database, for messages. */
  get name(): string {
    return this.loc.url;
  }

  /** Whether this process holds the lock (as far as it knows: the connection has not failed). */
  get holding(): boolean {
    return this.command !== null && this.broken === null && this.client !== null;
  }

  /**
   * Runs `fn` on the writer's connection, one use at a time: a commit's statements never
   * interleave with a renewal or a retention pass. Throws the connection's failure if it died.
   */
  use<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.broken !== null) throw this.broken;
      if (this.client === null) throw new Error(`${this.loc.url}: the writer's connection is closed`);
      return fn(this.client);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Takes the lease once: the grant, or the live holder (LeaseHeldError). */
  async acquire(command: string): Promise<LeaseGrant> {
    const r = await this.tryAcquire(command);
    if ('grant' in r) return r.grant;
    throw new LeaseHeldError(this.loc.url, r.holder, this.env.now());
  }

  /** One attempt: the grant, or who holds the lock now (a standby waits and tries again). */
  async tryAcquire(command: string): Promise<{ grant: LeaseGrant } | { holder: LeaseHolder }> {
    const r = await this.tryLock(command);
    return r === null ? { grant: await this.recordHolder() } : { holder: r };
  }

  /**
   * Takes the lock if it is free (null), else says who holds it. The schema may be older than
   * this ouwatch: the writer takes the lock first and migrates after (as on SQLite), so a
   * running writer of another version is never migrated under its feet.
   */
  async tryLock(command: string): Promise<LeaseHolder | null> {
    await this.connect(command);
    return this.use(async (c) => {
      const got = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_SPACE, WRITER_LOCK])).rows[0].ok;
      if (!got) return this.describeHolder(c);
      this.command = command;
      return null;
    });
  }

  /** With the lock held and the schema current: describes this holder in `writer_lease`. */
  async recordHolder(): Promise<LeaseGrant> {
    const command = this.command;
    if (command === null) throw new Error('recordHolder before the lock was taken');
    return this.use(async (c) => {
      const previous = await this.row(c);
      const now = this.env.now();
      await c.query(
        `INSERT INTO writer_lease (id, token, pid, host, command, since, heartbeat_at) VALUES (1, $1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host, command = excluded.command,
           since = excluded.since, heartbeat_at = excluded.heartbeat_at`,
        [this.token, this.env.pid, this.env.host, command, now],
      );
      this.since = now;
      // A row left by another token: its holder's connection ended (the lock was free).
      const takenOverFrom = previous !== null && previous.token !== this.token ? toHolder(previous) : null;
      return { takenOverFrom, staleBecause: takenOverFrom === null ? null : 'its connection to the database ended (the lock was released with it)' };
    });
  }

  /**
   * Before writing again after the connection failed: reconnects and takes the lock again.
   * Throws the connection error while the server cannot be reached, and LeaseLostError when
   * another process holds the lock by now, or held it meanwhile (its row replaced ours): what
   * this process has in memory may then be older than what is stored, so it must not write.
   */
  async ensure(): Promise<void> {
    const command = this.command;
    if (command === null) throw new Error('the writer lease was never taken');
    if (this.broken === null && this.client !== null) return;
    await this.disconnect();
    const h = await this.tryLock(command);
    if (h !== null) {
      this.command = null;
      throw new LeaseLostError(`${this.loc.url}: this process lost its writer lease while the database was unreachable ('ouwatch ${h.command}' (pid ${h.pid} on ${h.host}) holds it now); it stops writing`);
    }
    const row = await this.use((c) => this.row(c));
    if (row !== null && row.token !== this.token) {
      await this.disconnect();
      this.command = null;
      throw new LeaseLostError(`${this.loc.url}: 'ouwatch ${row.command}' (pid ${row.pid} on ${row.host}) wrote this database while this process was cut off from it; it stops writing (a restart resumes from what is stored)`);
    }
  }

  /** Renews the description of the lease; a failed connection throws (the daemon pauses). */
  async heartbeat(): Promise<void> {
    await this.use(async (c) => {
      const n = (await c.query('UPDATE writer_lease SET heartbeat_at = $1 WHERE id = 1 AND token = $2', [this.env.now(), this.token])).rowCount;
      // The row is only a description: rewrite it if someone removed it while we hold the lock.
      if (n === 0) {
        await c.query(
          `INSERT INTO writer_lease (id, token, pid, host, command, since, heartbeat_at) VALUES (1, $1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host, command = excluded.command,
             since = excluded.since, heartbeat_at = excluded.heartbeat_at`,
          [this.token, this.env.pid, this.env.host, this.command ?? 'ouwatch', this.since, this.env.now()],
        );
      }
    });
  }

  async release(): Promise<void> {
    if (!this.holding) return;
    await this.use(async (c) => {
      await c.query('DELETE FROM writer_lease WHERE id = 1 AND token = $1', [this.token]);
      await c.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, WRITER_LOCK]);
    });
    this.command = null;
  }

  async holder(): Promise<LeaseHolder | null> {
    return this.use(async (c) => {
      const r = await this.row(c);
      return r === null ? null : toHolder(r);
    });
  }

  /** Closes the connection (the lock, if held, is released by the server). */
  async close(): Promise<void> {
    await this.queue;
    await this.disconnect();
  }

  private async connect(command: string): Promise<void> {
    if (this.client !== null && this.broken === null) return;
    await this.disconnect();
    const client = new (pgLibrary().Client)(clientConfig(this.loc, `ouwatch ${command} (pid ${this.env.pid} on ${this.env.host})`));
    client.on('error', (err) => {
      this.broken ??= err;
    });
    client.on('end', () => {
      this.broken ??= new Error(`${this.loc.url}: the writer's connection ended`);
    });
    await client.connect();
    // The server notices a silent peer (a node that died without closing the connection)
    // within about 20 s and releases its lock.
    await client.query(`SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 2`);
    this.client = client;
    this.broken = null;
  }

  private async disconnect(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c !== null) await c.end().catch(() => undefined);
  }

  private async row(c: pg.Client): Promise<LeaseRow | null> {
    // A database older than the lease table (or not an ouwatch database yet) has no row.
    if ((await c.query<{ t: string | null }>(`SELECT to_regclass('writer_lease')::text AS t`)).rows[0].t === null) return null;
    const r = await c.query<LeaseRow>('SELECT token, pid, host, command, since, heartbeat_at FROM writer_lease WHERE id = 1');
    return r.rows[0] ?? null;
  }

  /** The live holder: its row, or (before it wrote one) what the server knows of its connection. */
  private async describeHolder(c: pg.Client): Promise<LeaseHolder> {
    const row = await this.row(c);
    if (row !== null && row.token !== this.token) return toHolder(row);
    const r = await c.query<{ pid: number; app: string | null; addr: string | null; since: Date | null }>(
      `SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, a.backend_start AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_SPACE, WRITER_LOCK],
    );
    const a = r.rows[0];
    const since = a?.since?.getTime() ?? this.env.now();
    return { pid: a?.pid ?? 0, host: a?.addr ?? 'unknown host', command: a?.app?.replace(/^ouwatch /, '') ?? 'unknown', since, heartbeatAt: since };
  }
}

function toHolder(r: LeaseRow): LeaseHolder {
  return { pid: r.pid, host: r.host, command: r.command, since: r.since, heartbeatAt: r.heartbeat_at };
}
