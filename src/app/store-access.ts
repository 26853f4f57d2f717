import { existsSync } from 'node:fs';
import { stderrLog, type Log } from '../core/log.js';
import type { WriterLease } from '../core/ports.js';
import { HEARTBEAT_MS, LeaseLostError, type LeaseGrant } from '../core/writer-lease.js';
import { openDatabase, openWriter, type Db } from '../store/sqlite/database.js';
import { writeProblem } from '../store/sqlite/storage-fault.js';
import type { Config } from './config.js';
import { openWriterBackend, type WriterBackend } from './writer-backend.js';

/** A held writer lease: renewed every HEARTBEAT_MS until stopped. */
export interface HeldLease {
  /** Stops renewing (call before closing the db). */
  stop(): void;
  /** Lets the lease go (the db must still be open). */
  release(): Promise<void>;
}

/**
 * Keeps `lease` alive while the process writes: a warning when it was taken over from a stale
 * holder, a renewal every 10 s (a replay also renews it in each commit), and `onLost` when
 * another process took it over. A renewal that fails for another reason (a full disk) is
 * logged at most once a minute: the commit path reports storage faults itself.
 */
export function holdLease(
  lease: WriterLease,
  store: string,
  grant: LeaseGrant,
  o: { log: Log; onLost?: (err: Error) => void; onError?: (err: unknown) => boolean; writable?: () => boolean },
): HeldLease {
  if (grant.takenOverFrom !== null) {
    const h = grant.takenOverFrom;
    // Our own pid on this host: this process after a storage pause, or its earlier life.
    const own = h.pid === process.pid;
    (own ? o.log.info : o.log.warn)(`took over the writer lease of ${store} from 'ouwatch ${h.command}' (pid ${h.pid} on ${h.host}, since ${new Date(h.since).toISOString()}): ${grant.staleBecause}`);
  }
  let lastComplaint = -Infinity;
  let lost = false;
  let renewing = false;
  const timer = setInterval(async () => {
    if (lost || renewing || (o.writable && !o.writable())) return;
    renewing = true;
    try {
      await lease.heartbeat();
    } catch (err) {
      if (err instanceof LeaseLostError) {
        lost = true;
        if (o.onLost) o.onLost(err);
        else o.log.error(err.message);
        return;
      }
      if (o.onError?.(err)) return;
      if (Date.now() - lastComplaint >= 60_000) {
        lastComplaint = Date.now();
        o.log.warn(`could not renew the writer lease of ${store}: ${(err as Error).message}`);
      }
    } finally {
      renewing = false;
    }
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    release: async () => {
      if (lost) return;
      try {
        await lease.release();
      } catch {
        // the next writer finds it stale (this process has ended)
      }
    },
  };
}

/**
 * Runs a short writing command (`endsession --apply`, `actions reset-breaker`, `prune`,
 * `upgrade`) with the store's writer lease held; LeaseHeldError (exit 2) when another writer runs.
 */
export async function withWriter<T>(path: string, command: string, log: Log, run: (db: Db) => T | Promise<T>): Promise<T> {
  const { db, lease, grant } = openWriter(path, command);
  const held = holdLease(lease, path, grant, { log });
  try {
    return await run(db);
  } finally {
    held.stop();
    if (writeProblem(path) === null) {
      await held.release();
      db.close();
    }
  }
}

/**
 * Runs a short writing command on the store the configuration names (SQLite or PostgreSQL),
 * with its writer lease held: LeaseHeldError (exit 2) when another writer runs.
 */
export async function withStoreWriter<T>(config: Config, command: string, log: Log, run: (w: WriterBackend) => T | Promise<T>): Promise<T> {
  const backend = await openWriterBackend(config, { command, log });
  const held = holdLease(backend.lease, backend.name, backend.grant, { log });
  try {
    return await run(backend);
  } finally {
    held.stop();
    await backend.close(() => held.release());
  }
}

/**
 * Runs an analyst's small write (a dry-run endsession record, an outbox requeue) beside a
 * running writer: no lease, no migration. A missing db is created by a writer first when
 * `create` names the command (it then takes the lease for that moment).
 */
export async function withAnnotation<T>(path: string, run: (db: Db) => T | Promise<T>, o: { create?: string; log?: Log; minVersion?: number } = {}): Promise<T> {
  if (o.create !== undefined && !existsSync(path)) return withWriter(path, o.create, o.log ?? stderrLog(), run);
  const db = openDatabase(path, { mode: 'annotate', minVersion: o.minVersion });
  try {
    return await run(db);
  } finally {
    db.close();
  }
}
