import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Calls `check` after each of the process's garbage collections until the returned function
 * is called. A `gc` performance observer: its entries come when the event loop turns (between
 * two batches of a replay), and it keeps nothing alive.
 */
export function afterEachCollection(check: () => void): () => void {
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
