/**
 * What the launcher (bin/ouwatch.js) runs before it compiles the CLI's bundle: for a command
 * that reads logs, the ingest worker's thread starts here, about 50 ms sooner than the CLI
 * could start it, and loads its modules, address tables and parser meanwhile. Built as a
 * bundle of its own (dist/cli/early-start.cjs), small enough to cost nothing to load; the
 * CLI's bundle takes the thread up (pipeline/worker-client.ts: one spare per process).
 */
import { warmUpIngestWorker } from '../app/warm-up.js';
import { ingestingCommand } from './ingesting.js';

/** Starts the ingest worker's thread if `args` run a command that reads logs. */
export function startEarly(args: readonly string[]): void {
  if (ingestingCommand(args)) warmUpIngestWorker();
}
