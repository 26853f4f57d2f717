import type { Runtime } from '../assemble.js';
import type { BackgroundWorker } from '../domain.js';

/**
 * Workers the daemon starts after its sources and stops before closing the store: the
 * outbox delivery worker of respond/notify goes here. Their `stats()` feed /metrics
 * (actions and notifications by result, outbox depth).
 */
export function backgroundWorkers(_runtime: Runtime): BackgroundWorker[] {
  return [];
}
