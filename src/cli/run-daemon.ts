import type { Logger } from 'pino';
import { createRuntime, type Runtime } from '../app/runtime.js';
import { Standby } from '../app/run/standby.js';
import { runShared } from '../app/shared/run-shared.js';
import { storeLocation } from '../app/store-location.js';
import { StandbyCancelled } from '../app/writer-backend.js';
import { fromPino } from '../core/log.js';
import { StorageFault } from '../core/storage-fault.js';
import { LeaseLostError } from '../core/writer-lease.js';
import { ConfigError, PARSE_ONCE, applyDbFlag, configSchema, describeIssues, kubernetesSourceSchema, loadConfig, nodeSourceSchema, type Config } from '../app/config.js';
import { Daemon } from '../app/run/daemon.js';
import { createLogger } from '../app/logger.js';
import { ListenError } from '../app/http/server.js';
import { parseListen } from '../core/listen.js';
import { UsageError, checkTimeZone } from './common.js';
import type { RunFlags } from './run.js';

/** `ouwatch run`: the configuration with the flags over it, then the daemon until a signal. */
export async function runCommand(flags: RunFlags): Promise<void> {
  const configFile = flags.config ?? '(default configuration)';
  const config = withFlags(loadConfig(flags.config), flags, configFile);
  checkTimeZone(config.parse.timeZone);
  const log = createLogger(config.server.logLevel);
  await runDaemon(config, flags, configFile, log);
}

/** Shutdown must finish within 5 s (orchestrators kill soon after SIGTERM); past this, something hangs and we exit anyway. */
const SHUTDOWN_DEADLINE_MS = 4500;

/** Flags override the file; the result is validated again, so a flag gets the same checks as the file. */
function withFlags(fromFile: Config, f: RunFlags, configFile: string): Config {
  const c = structuredClone(fromFile);
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  if (f.file.length > 0) c.sources.files = f.file;
  if (f.db !== undefined) applyDbFlag(c, f.db);
  if (f.listen !== undefined) c.server.listen = f.listen;
  if (f.rules !== undefined) c.detect.rulesDir = f.rules;
  if (f.tz !== undefined) c.parse.timeZone = f.tz;
  if (f.k8s) c.sources.kubernetes ??= kubernetesSourceSchema.parse({}, PARSE_ONCE);
  if (f.nodeDir !== undefined) c.sources.node = { ...(c.sources.node ?? nodeSourceSchema.parse({}, PARSE_ONCE)), dir: f.nodeDir };
  const k = c.sources.kubernetes;
  const n = c.sources.node;
  if ((f.selector !== undefined || f.context !== undefined || f.idleReconnectSeconds !== undefined) && k === undefined) {
    throw new UsageError('--selector, --context and --idle-reconnect-seconds apply to the Kubernetes watcher: add --k8s (or sources.kubernetes)');
  }
  if (f.pod !== undefined && n === undefined) throw new UsageError('--pod applies to node mode: add --node-dir (or sources.node)');
  if ((f.namespace !== undefined || f.container !== undefined) && k === undefined && n === undefined) {
    throw new UsageError('--namespace and --container apply to --k8s or --node-dir');
  }
  if (k !== undefined) {
    if (f.namespace !== undefined) k.namespace = f.namespace;
    if (f.selector !== undefined) k.labelSelector = f.selector;
    if (f.container !== undefined) k.container = f.container;
    if (f.context !== undefined) k.context = f.context;
    if (f.idleReconnectSeconds !== undefined) (k as Record<string, unknown>).idleReconnectSeconds = num(f.idleReconnectSeconds);
  }
  if (n !== undefined) {
    if (f.namespace !== undefined) n.namespace = f.namespace;
    if (f.container !== undefined) n.container = f.container;
    if (f.pod !== undefined) n.pod = f.pod;
  }
  if (f.maxLineBytes !== undefined) (c.parse as Record<string, unknown>).maxLineBytes = num(f.maxLineBytes);
  const s = c.sources as Record<string, unknown>;
  if (f.startAt !== undefined) s.startAt = f.startAt;
  if (f.pollMs !== undefined) s.pollIntervalMs = num(f.pollMs);
  if (f.rescanMs !== undefined) s.rescanIntervalMs = num(f.rescanMs);
  if (f.mergeWindowMs !== undefined) s.mergeWindowMs = num(f.mergeWindowMs);
  if (f.commitMs !== undefined) s.commitIntervalMs = num(f.commitMs);
  if (f.logLevel !== undefined) (c.server as Record<string, unknown>).logLevel = f.logLevel;
  if (f.shared) s.shared = true;
  if (f.reader !== undefined) s.reader = f.reader;
  const checked = configSchema.safeParse(c, PARSE_ONCE);
  if (!checked.success) throw new ConfigError(`${configFile} with the command-line flags`, describeIssues(checked.error.issues));
  return checked.data;
}

async function runDaemon(config: Config, flags: RunFlags, configFile: string, log: Logger): Promise<void> {
  let daemon: Daemon | undefined;
  const fatal = (err: unknown) => {
    const known = err instanceof LeaseLostError || err instanceof StorageFault;
    log.fatal({ err: known ? (err as Error).message : ((err as Error)?.stack ?? String(err)) }, 'cannot continue: exiting (a restart resumes from the last commit)');
    // Not closing the db: SQLite needs no close to stay consistent (committed transactions are
    // in the WAL), and the outbox keeps what was not delivered. The next start takes the lease over.
    process.exit(1);
  };
  const listen = parseListen(config.server.listen)!;
  if (config.sources.shared) {
    process.on('uncaughtException', fatal);
    return runShared({ config, configFile, listen, json: flags.json === true, log, fatal });
  }
  // PostgreSQL: a second daemon on the same database waits as a standby until the writer stops.
  const standby = storeLocation(config).kind === 'postgres' ? new Standby(listen, log) : null;
  const cancel = () => standby?.cancel();
  if (standby !== null) process.once('SIGTERM', cancel).once('SIGINT', cancel);
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, {
      log: fromPino(log),
      command: 'run',
      commitIntervalMs: config.sources.commitIntervalMs,
      onFailure: (err) => fatal(err),
      onLeaseLost: (err) => fatal(err),
      onStorageFault: (fault) => daemon?.storageFault(fault),
      standby: standby?.options,
    });
  } catch (err) {
    if (!(err instanceof StandbyCancelled)) throw err;
    log.info('standby stopped before taking over');
    await standby?.close();
    process.exit(0);
  } finally {
    process.off('SIGTERM', cancel).off('SIGINT', cancel);
  }
  await standby?.close();
  try {
    // The analyst's console beside /healthz, /readyz, /metrics (when its authentication allows).
    const { consoleForDaemon } = await import('../app/console/serve.js');
    const consoleRoutes = consoleForDaemon(config, listen, log, configFile);
    daemon = new Daemon({ runtime, listen, json: flags.json === true, log, configFile, onFatal: fatal, console: consoleRoutes });
    const d = daemon;
    runtime.onCommit((r) => d.committed(r));
    await runtime.delivery.verify();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const d = daemon;
  process.on('uncaughtException', fatal);
  // A stray rejection inside a client library (a failed Kubernetes watch restart) leaves the
  // committed state intact: log it; the source's own watchdog reconnects.
  process.on('unhandledRejection', (reason: unknown) => log.error({ err: (reason as Error)?.message ?? String(reason) }, 'unhandled rejection'));
  const stop = (signal: string) => {
    setTimeout(() => {
      log.error({ signal }, `shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    d.stop(signal)
      .then(() => stdoutDrained())
      .then(
        () => process.exit(0),
        (err: unknown) => fatal(err),
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void d.reloadRules());
  try {
    await d.start();
  } catch (err) {
    await d.stop('start-up failed').catch(() => undefined);
    if (err instanceof ListenError) throw new UsageError(err.message);
    throw err;
  }
  // Runs until a signal; stop() exits the process.
  await new Promise<never>(() => {});
}

/** Alerts printed last may still sit in stdout's buffer (a pipe is written asynchronously). */
function stdoutDrained(): Promise<void> {
  if (process.stdout.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
