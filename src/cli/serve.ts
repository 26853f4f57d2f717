import type { Command } from 'commander';
import type { LogLevel } from '../app/logger.js';
import { parseListen } from '../core/listen.js';
import { UsageError } from './common.js';
import { configOf, storeOptions, type StoreFlags } from './options.js';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description("the analyst's console in a browser: queue, alerts, incidents, users, rules (same store as the CLI)")
    .option('--listen <host:port>', 'address to serve on (default: console.listen of --config, else 127.0.0.1:8080); other than loopback needs a token or proxy (see README)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug (default: info)');
  storeOptions(cmd).action(async (flags: StoreFlags & { listen?: string; logLevel?: string }) => {
    const config = configOf(flags);
    const spec = flags.listen ?? config.console.listen;
    const at = parseListen(spec);
    if (at === null) throw new UsageError(`--listen expects HOST:PORT, [IPv6]:PORT or PORT, got '${spec}'`);
    const level = flags.logLevel ?? 'info';
    if (!LOG_LEVELS.includes(level as LogLevel)) throw new UsageError(`--log-level expects ${LOG_LEVELS.join(', ')}, got '${level}'`);
    // Loaded here: the other commands (and `ouwatch --help`) do not pay for pino, the HTTP
    // server or compiling the console.
    const [{ createLogger }, { ListenError }, { serveConsole }] = await Promise.all([import('../app/logger.js'), import('../app/http/server.js'), import('../app/console/serve.js')]);
    const log = createLogger(level as LogLevel);
    let server;
    try {
      server = await serveConsole(config, at, log, flags.config ?? 'ouwatch serve');
    } catch (err) {
      if (err instanceof ListenError) throw new UsageError(err.message);
      throw err;
    }
    process.stderr.write(`ouwatch: console at http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${server.address.port}/ (store ${config.store.path}); Ctrl-C stops it\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    await new Promise<never>(() => {});
  });
}
