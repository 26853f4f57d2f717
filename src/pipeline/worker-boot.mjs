// Starts the parse worker from the TypeScript sources (a worker does not inherit the tsx
// loader the main thread registered). The compiled build starts dist/parse/worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
