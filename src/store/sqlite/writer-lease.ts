import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { WriterLease } from '../../core/ports.js';
import { LeaseHeldError, LeaseLostError, staleReason, type LeaseGrant, type LeaseHolder } from '../../core/writer-lease.js';
import type { Db } from './database.js';

interface Row {
  token: string;
  pid: number;
  host: string;
  command: string;
  since: number;
  heartbeat_at: number;
}

export interface LeaseEnvironment {
  pid: number;
  host: string;
  now(): number;
  isAlive(pid: number): boolean;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const HERE: LeaseEnvironment = { pid: process.pid, host: hostname(), now: Date.now, isAlive: processAlive };

/**
 * The writer lease as the single row of `writer_lease`. Taking it, renewing it and taking it
 * over are each one statement guarded by the token they expect, so two processes racing for
 * it cannot both win: a takeover is `UPDATE … WHERE token = <the stale holder's>`.
 */
export class SqliteWriterLease implements WriterLease {
  private readonly token = randomBytes(12).toString('hex');
  private readonly env: LeaseEnvironment;
  private readonly stmt;

  constructor(
    db: Db,
    /** Named in errors (the db path). */
    private readonly store: string,
    env: Partial<LeaseEnvironment> = {},
  ) {
    this.env = { ...HERE, ...env };
    this.stmt = {
      get: db.prepare('SELECT token, pid, host, command, since, heartbeat_at FROM writer_lease WHERE id = 1'),
      insert: db.prepare('INSERT INTO writer_lease (id, token, pid, host, command, since, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      takeOver: db.prepare('UPDATE writer_lease SET token = ?, pid = ?, host = ?, command = ?, since = ?, heartbeat_at = ? WHERE id = 1 AND token = ?'),
      renew: db.prepare('UPDATE writer_lease SET heartbeat_at = ? WHERE id = 1 AND token = ?'),
      release: db.prepare('DELETE FROM writer_lease WHERE id = 1 AND token = ?'),
    };
  }

  acquire(command: string): LeaseGrant {
    const { pid, host } = this.env;
    const now = this.env.now();
    if (this.stmt.insert.run(this.token, pid, host, command, now, now).changes === 1) return { takenOverFrom: null, staleBecause: null };
    const row = this.stmt.get.get() as Row | undefined;
    // Released between the two statements: try once more from the start.
    if (row === undefined) return this.acquire(command);
    if (row.token === this.token) return { takenOverFrom: null, staleBecause: null };
    const holder = toHolder(row);
    const stale = staleReason(holder, { ...this.env, now });
    if (stale === null) throw new LeaseHeldError(this.store, holder, now);
    if (this.stmt.takeOver.run(this.token, pid, host, command, now, now, row.token).changes === 1) return { takenOverFrom: holder, staleBecause: stale };
    // Another process took it over first: it is the live holder now.
    const winner = this.stmt.get.get() as Row | undefined;
    if (winner === undefined) return this.acquire(command);
    throw new LeaseHeldError(this.store, toHolder(winner), now);
  }

  heartbeat(): void {
    if (this.stmt.renew.run(this.env.now(), this.token).changes === 1) return;
    const row = this.stmt.get.get() as Row | undefined;
    const by = row === undefined ? 'nobody holds it now' : `'ouwatch ${row.command}' (pid ${row.pid} on ${row.host}) holds it now`;
    throw new LeaseLostError(`${this.store}: this process lost its writer lease (${by}); it stops writing`);
  }

  release(): void {
    this.stmt.release.run(this.token);
  }

  holder(): LeaseHolder | null {
    const row = this.stmt.get.get() as Row | undefined;
    return row === undefined ? null : toHolder(row);
  }
}

function toHolder(r: Row): LeaseHolder {
  return { pid: r.pid, host: r.host, command: r.command, since: r.since, heartbeatAt: r.heartbeat_at };
}
