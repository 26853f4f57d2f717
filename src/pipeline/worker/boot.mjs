// Starts the ingest worker from the TypeScript sources (a worker does not inherit the tsx
// loader the main thread registered). The compiled build starts dist/pipeline/worker/ingest-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./ingest-worker.ts');
