/** Commands that read logs. */
const INGESTING = new Set(['replay', 'run', 'parse']);

/**
 * Whether `args` (after the script) run a command that reads logs, not just its help: its
 * ingest worker's thread is started before anything else (cli/early-start.ts).
 */
export function ingestingCommand(args: readonly string[]): boolean {
  const named = args.find((a) => !a.startsWith('-'));
  return named !== undefined && INGESTING.has(named) && !args.includes('--help') && !args.includes('-h');
}
