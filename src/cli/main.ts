import { Command, CommanderError } from 'commander';
import { registerActions } from './actions.js';
import { EXIT_USAGE, isUsageError } from './common.js';
import { registerAlerts } from './alerts.js';
import { registerExplain } from './explain.js';
import { registerEndSession } from './endsession.js';
import { registerParse } from './parse.js';
import { registerReplay } from './replay.js';
import { registerRules } from './rules.js';
import { registerRun } from './run.js';
import { registerUser } from './user.js';
import { registerStore } from './store.js';
import { registerOutbox } from './outbox.js';
import { StorageFault } from '../core/storage-fault.js';
import { LeaseLostError } from '../core/writer-lease.js';

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
  .showHelpAfterError()
  .exitOverride();

registerReplay(program);
registerParse(program);
registerUser(program);
registerRun(program);
registerAlerts(program);
registerExplain(program);
registerRules(program);
registerEndSession(program);
registerActions(program);
registerStore(program);
registerOutbox(program);

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
  } else if (err instanceof StorageFault || err instanceof LeaseLostError) {
    // Not a bug: the store could not be written. One line; what was committed stays consistent.
    process.stderr.write(`ouwatch: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`ouwatch: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
