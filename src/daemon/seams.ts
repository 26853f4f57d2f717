import type { Runtime } from '../assemble.js';
import type { BackgroundWorker } from '../domain.js';

/**
 * Where the stages built on other branches plug into the daemon. Each function is the one
 * place to change when that stage lands; the daemon already calls them at the right moments.
 */

/** Detection's `runtime.reloadRules()` (SIGHUP). It throws (or rejects) on a bad rule file and keeps the old rules. */
export interface RuleReloader {
  reloadRules(): unknown;
}

/** The runtime's rule reloader, or null while this build has none. */
export function ruleReloader(runtime: Runtime): RuleReloader | null {
  const candidate = (runtime as Runtime & Partial<RuleReloader>).reloadRules;
  return typeof candidate === 'function' ? { reloadRules: () => candidate.call(runtime) } : null;
}

/**
 * Workers the daemon starts after its sources and stops before closing the store: the
 * outbox delivery worker of respond/notify goes here. Their `stats()` feed /metrics
 * (actions and notifications by result, outbox depth).
 */
export function backgroundWorkers(_runtime: Runtime): BackgroundWorker[] {
  return [];
}
