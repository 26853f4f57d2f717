/** Retry timing of the outbox: exponential backoff with jitter, capped. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, then "equal jitter"
 * (between half and all of it) so that many items failing together do not retry in lockstep.
 */
export function backoffDelay(attempts: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
