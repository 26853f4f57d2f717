import type { Logger } from 'pino';
import { formatListen, type ListenAddress } from '../../core/listen.js';
import type { LeaseHolder } from '../../core/writer-lease.js';
import type { SourceStatus } from '../../core/runtime.js';
import { startHttpServer, type RunningServer } from '../http/server.js';
import type { StandbyOptions } from '../writer-backend.js';

/** How often a standby tries the writer's lock again (a dead holder is replaced within this, plus the server noticing). */
export const STANDBY_POLL_MS = 2_000;

/**
 * `ouwatch run` on PostgreSQL while another process holds the writer lease: it waits as a
 * standby, trying the lock every STANDBY_POLL_MS, and says so on its endpoints (`/healthz`
 * 200, `/readyz` 503 with `db: standby: …`) and once in its log per holder. When the holder's
 * connection ends (the process died, its node went away), this process becomes the writer and
 * the daemon starts from what is committed; `close()` frees the address for it first.
 */
export class Standby {
  private readonly abort = new AbortController();
  private server: Promise<RunningServer | null> | null = null;
  private holder: LeaseHolder | null = null;

  /** `sources`: what this process reads meanwhile (shared reading: its own logs, staged). */
  constructor(
    private readonly listen: ListenAddress,
    private readonly log: Logger,
    private readonly sources: () => SourceStatus[] = () => [],
  ) {}

  /** For createRuntime: wait for the lease, reporting here. */
  get options(): StandbyOptions {
    return {
      pollMs: STANDBY_POLL_MS,
      signal: this.abort.signal,
      waiting: (h) => this.waiting(h),
      unavailable: (err) => this.log.warn({ err: err.message }, 'standby: the database cannot be reached; trying again'),
    };
  }

  /** Stops waiting (SIGTERM while standing by): the runtime's open rejects with StandbyCancelled. */
  cancel(): void {
    this.abort.abort();
  }

  /** Closes the standby's endpoints (the daemon opens its own on the same address). */
  async close(): Promise<void> {
    const s = await this.server;
    this.server = null;
    await s?.close();
  }

  private waiting(h: LeaseHolder): void {
    this.holder = h;
    this.log.info({ holder: { command: h.command, pid: h.pid, host: h.host, since: new Date(h.since).toISOString() }, pollMs: STANDBY_POLL_MS }, 'standby: another process writes this database; taking over when it stops');
    this.server ??= startHttpServer(
      this.listen,
      {
        ready: () => ({ ready: false, db: `standby: ${this.describe()}`, sources: this.sources() }),
        metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: '# standby: metrics start with the writer\nouwatch_standby 1\n' }),
      },
      this.log,
    ).then(
      (s) => {
        this.log.info({ address: `http://${formatListen(s.address)}`, endpoints: ['/healthz', '/readyz', '/metrics'], standby: true }, 'standby listening');
        return s;
      },
      (err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'standby: could not serve /healthz and /readyz');
        return null;
      },
    );
  }

  private describe(): string {
    const h = this.holder;
    if (h === null) return 'waiting for the writer lease';
    return `'ouwatch ${h.command}' (pid ${h.pid} on ${h.host}, since ${new Date(h.since).toISOString()}) holds the writer lease; this process takes over when it stops`;
  }
}
