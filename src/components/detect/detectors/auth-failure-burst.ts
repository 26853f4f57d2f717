import { formatDuration } from '../../../core/duration.js';
import { int, where } from '../format.js';
import { burstDetector } from './burst.js';

/** Password guessing or spraying: AuFail lines carry `cn=none`, so the key is the address. */
export const authFailureBurst = burstDetector({
  name: 'auth-failure-burst',
  summary: 'many failed logins (AuFail) from one address in a short time: password guessing or spraying',
  event: 'AuFail',
  keyedBy: 'ip',
  defaults: { threshold: 10, window: '5m' },
  what: 'failed logins (AuFail)',
  reason: (n, span, e, p) =>
    `${int(n)} failed logins (AuFail) from ${where(e.ip, e.geo?.country ?? null)} within ${formatDuration(span)} ` +
    `(rule: ${p.threshold} within ${formatDuration(p.window)}), the last at ${e.url ?? 'an unknown URL'}; OpenUnison does not log which user was tried.`,
});
