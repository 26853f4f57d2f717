/**
 * What a command can start before it has read its configuration. The CLI calls this first for
 * the commands that ingest logs, so that the ingest worker's thread loads its modules while
 * the main thread loads its own (a short replay is mostly start-up).
 */
export { warmUpIngestWorker } from '../pipeline/worker-client.js';
