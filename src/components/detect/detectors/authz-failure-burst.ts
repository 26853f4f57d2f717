import { formatDuration } from '../../../core/duration.js';
import { int, where } from '../format.js';
import { burstDetector } from './burst.js';

/** A user (or whoever holds their session) probing for what they may do. */
export const authzFailureBurst = burstDetector({
  name: 'authz-failure-burst',
  summary: 'many denied requests (AzFail) for one user in a short time: probing, or a stolen session being explored',
  event: 'AzFail',
  keyedBy: 'dn',
  defaults: { threshold: 10, window: '5m' },
  what: 'denied requests (AzFail)',
  reason: (n, span, e, p) =>
    `${int(n)} denied requests (AzFail) for ${e.dn} within ${formatDuration(span)} ` +
    `(rule: ${p.threshold} within ${formatDuration(p.window)}), the last from ${where(e.ip, e.geo?.country ?? null)} to ${e.url ?? 'an unknown URL'}.`,
});
