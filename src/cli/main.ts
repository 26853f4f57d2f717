import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, isUsageError } from './common.js';
import { ingestingCommand } from './ingesting.js';
import { boundHeapGrowth } from './heap-growth.js';
import { boundYoungGeneration } from './young-generation.js';
import { packageVersion } from '../core/package-files.js';
import { StorageFault } from '../core/storage-fault.js';
import { LeaseLostError } from '../core/writer-lease.js';

// A reader that stopped early (`| head`, `| jq` that quit) is not a failure: stop quietly, as
// SIGPIPE would. Committed state stays consistent (checkpoints are written with it).
const isBrokenPipe = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(0);
  throw err;
});

// Not in the build's run that writes V8's code cache (bin/ouwatch.js): V8 takes a cache only
// under the flags it was made with, and these change V8's flags as the heap grows.
if (process.env.OUWATCH_CODE_CACHE !== 'write') {
  boundHeapGrowth();
  boundYoungGeneration();
}

/**
 * Each command's module, loaded only when that command runs (start-up stays fast: the
 * pipeline, the store and the Kubernetes client are not imported for `--version` or `alerts`).
 */
const COMMANDS: Record<string, () => Promise<{ register(program: Command): void }>> = {
  replay: async () => ({ register: (await import('./replay.js')).registerReplay }),
  parse: async () => ({ register: (await import('./parse.js')).registerParse }),
  user: async () => ({ register: (await import('./user.js')).registerUser }),
  run: async () => ({ register: (await import('./run.js')).registerRun }),
  alerts: async () => ({ register: (await import('./alerts.js')).registerAlerts }),
  explain: async () => ({ register: (await import('./explain.js')).registerExplain }),
  rules: async () => ({ register: (await import('./rules.js')).registerRules }),
  endsession: async () => ({ register: (await import('./endsession.js')).registerEndSession }),
  actions: async () => ({ register: (await import('./actions.js')).registerActions }),
  upgrade: async () => ({ register: (await import('./store.js')).registerStore }),
  prune: async () => ({ register: (await import('./store.js')).registerStore }),
  outbox: async () => ({ register: (await import('./outbox.js')).registerOutbox }),
  serve: async () => ({ register: (await import('./serve.js')).registerServe }),
  incidents: async () => ({ register: (await import('./incidents.js')).registerIncidents }),
};

const program = new Command();
program
  .name('ouwatch')
  .description('Finds stolen or replayed OpenUnison sessions in its logs, and can end them.')
  .version(packageVersion())
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(oneLine(message)) });

/** Loads what the command needs and runs it (a function: the bundle is CommonJS, which has no top-level await). */
async function main(): Promise<void> {
  const named = process.argv.slice(2).find((a) => !a.startsWith('-'));
  // `--version` alone needs no command module (every one is loaded only for the full help).
  const versionOnly = named === undefined && process.argv.slice(2).some((a) => a === '--version' || a === '-V');
  const only = versionOnly ? [] : named !== undefined && named in COMMANDS ? [COMMANDS[named]] : [...new Set(Object.values(COMMANDS))];
  // Commands that read logs: their ingest worker starts while the command's modules load.
  // (bin/ouwatch.js started it before this bundle, cli/early-start.ts; this call then finds it.)
  if (ingestingCommand(process.argv.slice(2))) (await import('../app/warm-up.js')).warmUpIngestWorker();
  const registered = new Set<unknown>();
  for (const load of only) {
    const { register } = await load();
    if (registered.has(register)) continue;
    registered.add(register);
    register(program);
  }

  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (isBrokenPipe(err)) {
      process.exitCode = 0;
    } else if (err instanceof CommanderError) {
      // commander already printed the message (one line, see oneLine)
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
    } else if (isUsageError(err)) {
      process.stderr.write(`ouwatch: ${(err as Error).message}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (err instanceof StorageFault || err instanceof LeaseLostError) {
      // Not a bug: the store could not be written. One line; what was committed stays consistent.
      process.stderr.write(`ouwatch: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`ouwatch: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

/**
 * commander's usage errors (`error: unknown option '--sevrity'` and its `(Did you mean …?)`)
 * as one line, with the help command of the command that was run as the hint.
 */
function oneLine(message: string): string {
  const text = message.trim().replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\n/g, ' ');
  return `ouwatch: ${text}; see 'ouwatch ${commandPath().join(' ')}${commandPath().length ? ' ' : ''}--help'\n`;
}

/** The subcommand words of this invocation (`alerts list`), for the hint. */
function commandPath(): string[] {
  const words: string[] = [];
  let cmd: Command = program;
  for (const arg of process.argv.slice(2)) {
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) break;
    words.push(arg);
    cmd = sub;
  }
  return words;
}

void main();
