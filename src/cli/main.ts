import { Command, CommanderError } from 'commander';
import { registerActions } from './actions.js';
import { EXIT_USAGE, isUsageError } from './common.js';
import { registerEndSession } from './endsession.js';
import { registerParse } from './parse.js';
import { registerReplay } from './replay.js';
import { registerUser } from './user.js';

const program = new Command();
program
  .name('ouwatch')
  .description('Finds stolen or replayed OpenUnison sessions in its logs, and can end them.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerReplay(program);
registerParse(program);
registerUser(program);
registerEndSession(program);
registerActions(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
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
