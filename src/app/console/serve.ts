import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../../core/config-file.js';
import { formatListen, type ListenAddress } from '../../core/listen.js';
import { startHttpServer, type RunningServer } from '../http/server.js';
import { openReviewStore } from '../review/store.js';
import { buildAuth } from './auth.js';
import { consoleRouter, type ConsoleHandler } from './router.js';

export interface MountedConsole {
  handle: ConsoleHandler;
  close(): void;
}

/**
 * The console over its own connection to the configured store (reads never hold up the
 * daemon's writer). Throws ConfigError when the address is not loopback and no
 * authentication is configured.
 */
export function mountConsole(config: Config, at: ListenAddress, log: Logger, where: string): MountedConsole {
  const auth = buildAuth(config.console, at.host, where);
  // Analysts change statuses from the console: read-write without migrating, beside the daemon's writer.
  const store = openReviewStore(config, { write: true });
  try {
    return { handle: consoleRouter({ config, store, auth, log }), close: () => store.close() };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** `ouwatch serve`: the console (and /healthz) on `at`. */
export async function serveConsole(config: Config, at: ListenAddress, log: Logger, where: string): Promise<RunningServer> {
  const mounted = mountConsole(config, at, log, where);
  try {
    const server = await startHttpServer(at, null, log, mounted.handle);
    log.info({ address: `http://${formatListen(server.address)}`, db: config.store.path, auth: describeAuth(config, at) }, 'console listening');
    return {
      address: server.address,
      close: async () => {
        await server.close();
        mounted.close();
      },
    };
  } catch (err) {
    mounted.close();
    throw err;
  }
}

/**
 * For `run --listen`: the console beside /healthz, /readyz, /metrics, or null (with a log
 * line) when the address needs authentication that is not configured: the daemon's metrics
 * endpoint must not stop a deployment that never asked for the console.
 */
export function consoleForDaemon(config: Config, at: ListenAddress, log: Logger, where: string): MountedConsole | null {
  try {
    return mountConsole(config, at, log, where);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.warn({ reason: err.message }, 'the console is not served beside /metrics');
    return null;
  }
}

function describeAuth(config: Config, at: ListenAddress): string {
  const parts: string[] = [];
  if (at.host === 'localhost' || at.host === '::1' || at.host.startsWith('127.')) parts.push('loopback: no login');
  if (config.console.proxy.networks.length) parts.push(`identity header ${config.console.proxy.header} from ${config.console.proxy.networks.join(', ')}`);
  if (config.console.auth.tokenFile || process.env[config.console.auth.tokenEnv]) parts.push('bearer token');
  return parts.join('; ');
}
