import type { Log } from '../core/log.js';
import type { AlertOutput, PipelineStore, RetentionStore, WriterLease } from '../core/ports.js';
import type { StorageFault } from '../core/storage-fault.js';
import type { LeaseGrant, LeaseHolder } from '../core/writer-lease.js';
import type { Db } from '../store/sqlite/database.js';
import type { Config } from './config.js';
import type { DeliveryStore } from './delivery.js';
import { openSqliteWriter } from './writer-sqlite.js';
import { storeLocation } from './store-location.js';

/**
 * What a writing command (replay, run, rule tests) needs of its store, whichever it is: the
 * pipeline's port, delivery's repositories, retention, the writer lease it holds, and how to
 * tell a storage fault (wait it out) from a failure.
 */
export interface WriterBackend {
  /** The path or URL (without password), for messages. */
  readonly name: string;
  readonly kind: 'sqlite' | 'postgres';
  readonly store: PipelineStore;
  readonly delivery: DeliveryStore;
  readonly retention: RetentionStore;
  readonly lease: WriterLease;
  readonly grant: LeaseGrant;
  /** The SQLite connection (null on PostgreSQL). */
  readonly db: Db | null;
  /** What `consumer` has printed of the committed alerts (stdout is at least once). */
  output(consumer: string): AlertOutput;
  storageFault(err: unknown): StorageFault | null;
  /** Checked before each commit and outbox round (SQLite's files: see storage-fault.ts); none on PostgreSQL. */
  readonly checkWritable: (() => void) | undefined;
  /** Before resuming after a storage fault: throws while the store still cannot be written. */
  ensureWritable(): Promise<void>;
  /** 'open', or why the store does not answer now (/readyz). */
  health(): string;
  /** Closes the store; `release` lets the writer lease go first (skipped when the store cannot be written). */
  close(release: () => void | Promise<void>): Promise<void>;
}

export interface WriterOptions {
  command: string;
  log: Log;
  /** Commits small and often (the daemon), rather than in bulk (replay): SQLite keeps a smaller page cache. */
  live?: boolean;
  /** The lease is held by a live process: wait for it (PostgreSQL only) instead of failing. */
  standby?: StandbyOptions;
}

export interface StandbyOptions {
  /** Called while waiting (once at first, then when the holder changes). */
  waiting(holder: LeaseHolder): void;
  /** How often to try the lock again. */
  pollMs: number;
  /** Stops waiting (the process is shutting down): the open rejects with StandbyCancelled. */
  signal?: AbortSignal;
  /** The database cannot be reached while standing by: said here, and tried again after `pollMs`. */
  unavailable?(err: Error): void;
}

/** The standby was told to stop before it became the writer. */
export class StandbyCancelled extends Error {}

/** Opens the store `config` names for writing, with its writer lease held. */
export function openWriterBackend(config: Config, opts: WriterOptions): Promise<WriterBackend> {
  const loc = storeLocation(config);
  if (loc.kind === 'sqlite') return Promise.resolve(openSqliteWriter(loc.path, opts));
  // Loaded only for PostgreSQL: pg and its modules cost a SQLite run about 35 ms of start-up.
  return import('./writer-postgres.js').then((pgWriter) => pgWriter.openPostgresWriter(loc.name, loc.pg, opts));
}
