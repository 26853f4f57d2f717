import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection on demand, for long replays. The replay allocates fast and keeps
 * little (tens of MB of state), so V8's heuristics let the heap grow far beyond what is live
 * before they collect it: peak memory would then grow with the input instead of with the
 * state. Collecting every few hundred thousand lines (about 10 ms each) keeps it flat.
 */
let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
