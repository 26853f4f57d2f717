import { Command, CommanderError } from 'commander';
import { registerActions } from './actions.js';
import { EXIT_USAGE, isUsageError } from './common.js';
import { registerAlerts } from './alerts.js';
import { registerExplain } from './explain.js';
import { registerIncidents } from './incidents.js';
import { registerEndSession } from './endsession.js';
import { registerParse } from './parse.js';
import { registerReplay } from './replay.js';
import { registerRules } from './rules.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerUser } from './user.js';

// A reader that stopped early (`| head`, `| jq` that quit) is not a failure: stop quietly, as
// SIGPIPE would. Committed state stays consistent (checkpoints are written with it).
const isBrokenPipe = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(0);
  throw err;
});

const program = new Command();
program
  .name('ouwatch')
  .description('Finds stolen or replayed OpenUnison sessions in its logs, and can end them.')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(oneLine(message)) });

registerReplay(program);
registerParse(program);
registerUser(program);
registerRun(program);
registerServe(program);
registerAlerts(program);
registerIncidents(program);
registerExplain(program);
registerRules(program);
registerEndSession(program);
registerActions(program);

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
  } else {
    process.stderr.write(`ouwatch: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
