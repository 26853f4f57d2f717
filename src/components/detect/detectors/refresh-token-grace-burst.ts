import { formatDuration } from '../../../core/duration.js';
import { int, where } from '../format.js';
import { burstDetector } from './burst.js';

/**
 * Expired refresh tokens used within the grace period, many times for one user: clients
 * racing on one kubeconfig, or a replay loop. Either way worth a look.
 */
export const refreshTokenGraceBurst = burstDetector({
  name: 'refresh-token-grace-burst',
  summary: 'many expired refresh tokens used within the grace period for one user (ExpiredRefreshTokenUsed)',
  event: 'ExpiredRefreshTokenUsed',
  keyedBy: 'dn',
  defaults: { threshold: 5, window: '10m' },
  what: 'expired refresh tokens used within the grace period',
  reason: (n, span, e, p) =>
    `${int(n)} expired refresh tokens of ${e.dn} were used within the grace period within ${formatDuration(span)} ` +
    `(rule: ${p.threshold} within ${formatDuration(p.window)}), the last from ${where(e.ip, e.geo?.country ?? null)}: ` +
    `clients sharing one kubeconfig, or a refresh token being replayed.`,
});
