import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, isUsageError } from './common.js';

// A reader that stopped early (`| head`, `| jq` that quit) is not a failure: stop quietly, as
// SIGPIPE would. Committed state stays consistent (checkpoints are written with it).
const isBrokenPipe = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(0);
  throw err;
});

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
};

const program = new Command();
program
  .name('ouwatch')
  .description('Finds stolen or replayed OpenUnison sessions in its logs, and can end them.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

const named = process.argv.slice(2).find((a) => !a.startsWith('-'));
const only = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
for (const name of only) (await COMMANDS[name]()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isBrokenPipe(err)) {
    process.exitCode = 0;
  } else if (err instanceof CommanderError) {
    // commander already printed the message (and help for usage mistakes)
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (isUsageError(err)) {
    process.stderr.write(`ouwatch: ${(err as Error).message}\n`);
    process.exitCode = EXIT_USAGE;
  } else {
    process.stderr.write(`ouwatch: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
