import * as z from 'zod';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import type { User } from '../../history/user.js';
import { int, iso } from '../format.js';

/**
 * "Known behaviour" needs a history first: a user is learnt once they have at least
 * `baselineEvents` successful events spanning at least `baselineSpan` of log time. Before
 * that, everything is new and nothing is reported (the learning period).
 */
export const baselineParams = {
  baselineEvents: z.number().int().min(0).default(10).describe('successful events before the user is learnt'),
  baselineSpan: durationSchema.prefault('1h').describe('log time those events must span'),
};

export interface BaselineParams {
  baselineEvents: number;
  baselineSpan: number;
}

export function hasBaseline(user: User | null, p: BaselineParams): user is User {
  if (user === null) return false;
  if (user.firstSuccess === null || user.lastSuccess === null) return p.baselineEvents === 0 && p.baselineSpan === 0;
  return user.successCount >= p.baselineEvents && user.lastSuccess - user.firstSuccess >= p.baselineSpan;
}

/** Why the baseline is not there yet, with the numbers. */
export function describeLearning(user: User | null, p: BaselineParams): string {
  const need = `needs ${int(p.baselineEvents)} successful events spanning ${formatDuration(p.baselineSpan)}`;
  if (user === null || user.firstSuccess === null || user.lastSuccess === null) return `learning: no earlier successful event for this user (${need})`;
  return (
    `learning: ${int(user.successCount)} earlier successful events spanning ${formatDuration(user.lastSuccess - user.firstSuccess)} ` +
    `since ${iso(user.firstSuccess)} (${need})`
  );
}

export function describeBaseline(p: BaselineParams): string {
  return `once the user has ${int(p.baselineEvents)} successful events spanning ${formatDuration(p.baselineSpan)}`;
}
