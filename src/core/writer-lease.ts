import { UserFixableError } from './errors.js';
/**
 * One writer per store. Every process that writes history (the daemon, a replay, a response
 * by hand, a breaker reset, a prune) holds the store's writer lease while it runs; a second
 * one is refused at once, naming the holder. A lease whose holder is gone (its process ended
 * on this host, or it has not renewed the lease for STALE_AFTER_MS) is taken over, with a
 * warning. Analysts' small writes (ack, close, requeue) need no lease: they touch status
 * columns only, in their own short transactions.
 */

/** How often a holder renews its lease. */
export const HEARTBEAT_MS = 10_000;
/** A lease not renewed for this long is stale, wherever its holder runs. */
export const STALE_AFTER_MS = 60_000;

export interface LeaseHolder {
  pid: number;
  host: string;
  /** What holds it: `run`, `replay`, `endsession --apply`… */
  command: string;
  /** Epoch ms: when it was taken. */
  since: number;
  /** Epoch ms: the last renewal. */
  heartbeatAt: number;
}

export interface LeaseGrant {
  /** The stale holder this acquisition replaced (log a warning), or null. */
  takenOverFrom: LeaseHolder | null;
  /** Why that holder counted as gone. */
  staleBecause: string | null;
}

/** Another live process holds the lease: the CLI prints this one line and exits 2. */
export class LeaseHeldError extends UserFixableError {
  constructor(
    readonly store: string,
    readonly holder: LeaseHolder,
    now: number = Date.now(),
  ) {
    super(
      `${store} is being written by 'ouwatch ${holder.command}' (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}, ` +
        `renewed ${Math.max(0, Math.round((now - holder.heartbeatAt) / 1000))} s ago): one writer per database; stop it first or use another --db`,
    );
  }
}

/** This process no longer holds the lease (another took it over): stop writing at once. */
export class LeaseLostError extends Error {}

/** Why `holder` no longer counts as a live writer, or null while it does. */
export function staleReason(holder: LeaseHolder, here: { host: string; pid: number; now: number; isAlive(pid: number): boolean }): string | null {
  if (holder.host === here.host) {
    // The same pid on this host cannot be another live process: it is an earlier life of this
    // one (a container restarted with the same pid and host name).
    if (holder.pid === here.pid) return `its pid ${holder.pid} is this process's own (an earlier run on ${holder.host})`;
    if (!here.isAlive(holder.pid)) return `process ${holder.pid} on ${holder.host} has ended`;
  }
  const silent = here.now - holder.heartbeatAt;
  if (silent > STALE_AFTER_MS) return `not renewed for ${Math.round(silent / 1000)} s (more than ${STALE_AFTER_MS / 1000} s)`;
  return null;
}
