import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from '../../core/config-file.js';
import type { ListenAddress } from '../../core/listen.js';
import type { LiveSource } from '../../core/live-source.js';
import { fromPino } from '../../core/log.js';
import { openPool } from '../../store/postgres/connection.js';
import { PgStagedLines } from '../../store/postgres/staging.js';
import type { Config } from '../config.js';
import { Daemon } from '../run/daemon.js';
import { Standby } from '../run/standby.js';
import { createRuntime } from '../runtime.js';
import { storeLocation } from '../store-location.js';
import { StandbyCancelled } from '../writer-backend.js';
import { STAGED_POLL_MS, StagedLinesSource } from './staged-source.js';
import { openStaging } from './staging.js';

export interface SharedRunOptions {
  config: Config;
  configFile: string;
  listen: ListenAddress;
  json: boolean;
  log: Logger;
  /** The process cannot go on (exit 1; a restart resumes). */
  fatal(err: unknown): void;
}

/**
 * `ouwatch run --shared`: one of several readers of one PostgreSQL database (a sidecar per
 * OpenUnison replica). It always reads its own logs and stages their event lines with their
 * positions; it stands by for detection while another reader holds the writer lease, and when
 * it gets the lease (the holder died) it detects over every reader's staged lines in log-time
 * order, from the positions the last holder committed. Returns when stopped (SIGTERM/SIGINT).
 */
export async function runShared(o: SharedRunOptions): Promise<void> {
  const { config, log } = o;
  const loc = storeLocation(config);
  if (loc.kind !== 'postgres') throw new ConfigError(o.configFile, ['sources.shared: shared reading needs a PostgreSQL store (--db postgres://… or store.url)']);
  const reader = config.sources.reader ?? hostname();
  const staging = await openStaging(config, loc.pg, reader, log, o.configFile);
  await staging.start();
  const standby = new Standby(o.listen, log, () => staging.status());
  let daemon: Daemon | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      log.info({ signal }, 'stopping');
      standby.cancel();
      await daemon?.stop(signal);
      await staging.stop();
      await standby.close();
    })();
    return stopping;
  };
  const onSignal = (signal: string) => {
    setTimeout(() => {
      log.error({ signal }, 'shutdown did not finish within 4500 ms: exiting');
      process.exit(1);
    }, 4_500).unref();
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => o.fatal(err),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // Detection holds lines a little longer than a single reader would: a line reaches it after
  // the reader's commit and the detector's next look.
  const mergeWindowMs = Math.min(10_000, config.sources.mergeWindowMs + config.sources.commitIntervalMs + 2 * STAGED_POLL_MS);
  let runtime;
  try {
    runtime = await createRuntime(config, {
      log: fromPino(log),
      command: `run --shared (reader ${reader})`,
      commitIntervalMs: config.sources.commitIntervalMs,
      mergeWindowMs,
      onFailure: (err) => o.fatal(err),
      onLeaseLost: (err) => o.fatal(err),
      onStorageFault: (fault) => daemon?.storageFault(fault),
      standby: standby.options,
    });
  } catch (err) {
    if (err instanceof StandbyCancelled) return new Promise<void>(() => {});
    throw err;
  }
  await standby.close();
  const rt = runtime;
  const pool = openPool(loc.pg, 2);
  const staged = new StagedLinesSource(
    new PgStagedLines(pool),
    {
      ingest: rt.ingest,
      log,
      checkpoint: (fp) => rt.store.checkpoint(fp),
      checkpoints: () => rt.store.checkpoints(),
      streamPosition: async () => null,
    },
    log,
  );
  // This reader's own sources appear on /readyz too (they are started by the staging side).
  const own: LiveSource[] = staging.status().map((s, i) => ({ name: s.name, start: async () => {}, stop: async () => {}, status: () => staging.status()[i] ?? s }));
  const d = new Daemon({ runtime: rt, listen: o.listen, json: o.json, log, configFile: o.configFile, onFatal: o.fatal, sources: [staged, ...own], discardOnStop: true });
  daemon = d;
  rt.onCommit((r) => {
    d.committed(r);
    staged.committed(r.feeds);
  });
  try {
    await rt.delivery.verify();
    await d.start();
  } catch (err) {
    await stop('start-up failed').catch(() => undefined);
    throw err;
  }
  log.info({ reader }, 'shared reading: this reader detects over every reader\'s lines');
  await new Promise<never>(() => {});
}
