// Starts the ingest worker from the TypeScript sources (a worker does not inherit the tsx
// loader the main thread registered), when no current build is there to start instead
// (worker-client.ts); the installed package starts dist/pipeline/worker/ingest-worker.cjs.
import { register } from 'tsx/esm/api';

register();
await import('./ingest-worker.ts');
