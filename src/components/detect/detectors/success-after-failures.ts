import * as z from 'zod';
import type { Evidence } from '../../../core/alerts.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { isUserDn, TYPE } from '../../../core/events.js';
import type { LogEvent } from '../../../core/log-event.js';
import { defineDetector, type Finding } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { int, where } from '../format.js';
import type { StateCodec } from '../state-table.js';

/** Failed logins of one address (or network): the newest times, and the newest lines as evidence. */
interface Failures {
  /** Log times of the newest failures, oldest first (at most the rule's threshold). */
  times: number[];
  /** All failures counted since the first one kept, for the reason. */
  total: number;
  evidence: Evidence[];
}

/** Failure lines kept as evidence per address: the alert cites the newest ones and the success. */
const EVIDENCE_KEPT = 3;

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      groupBy: z.enum(['ip', 'net']).default('ip').describe('count failures per address, or per network (/24, /64)'),
      failures: z.number().int().min(2).max(10_000).default(10).describe('failed logins (AuFail) that make a burst'),
      window: durationSchema.prefault('5m').describe('how far before the success the failures must be, in log time'),
      capacity: z.number().int().min(1000).max(10_000_000).default(100_000).describe('addresses (or networks) remembered at most (those failing least recently are forgotten first)'),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

/**
 * A login that succeeds (AuSuccess) from an address that failed many logins (AuFail) just
 * before: guessed passwords or stuffed credentials that worked. AuFail lines carry `cn=none`
 * (OpenUnison does not log the user name tried), so failures are counted per address, and the
 * success names the user. Quiet when the address is a learnt address of that user (one of
 * their own places, where colleagues behind the same NAT may be the ones mistyping).
 */
export const successAfterFailures = defineDetector({
  name: 'success-after-failures',
  summary: 'a successful login (AuSuccess) from an address, not the user\'s own, with a burst of failed logins (AuFail) just before',
  events: ['AuFail', 'AuSuccess'],
  params,
  describe: (p: Params) => `${p.failures} failed logins from one ${p.groupBy === 'ip' ? 'address' : 'network'} within ${formatDuration(p.window)} before a successful login from it that is not one of the user's learnt places`,
  create: (p: Params, ctx) => {
    const codec: StateCodec<Failures> = {
      encode: (s) => JSON.stringify([s.times, s.total, s.evidence.map((e) => [e.source, e.line])]),
      decode: (json) => {
        const j = JSON.parse(json) as [number[], number, Array<[string, string]>];
        if (!Array.isArray(j) || j.length !== 3 || !Array.isArray(j[0]) || !Array.isArray(j[2])) return null;
        return { times: j[0], total: j[1], evidence: j[2].map(([source, line]) => ({ source, line })) };
      },
      expires: (s) => s.times[s.times.length - 1] + p.window,
      capacity: p.capacity,
    };
    const failures = ctx.table('failures', codec);
    const keyOf = (e: LogEvent): string | null => (p.groupBy === 'ip' ? e.address?.ip : e.address?.net) ?? null;
    return {
      check(e, user, trace): Finding | null {
        const key = keyOf(e);
        if (key === null) {
          trace?.(`the line has no ${p.groupBy === 'ip' ? 'address' : 'network'}`);
          return null;
        }
        if (e.type === TYPE.AuFail) {
          let f = failures.get(key);
          // A burst counts failures within the window of each other: an old run starts afresh.
          if (f === undefined || e.ts - f.times[f.times.length - 1] > p.window) {
            f = { times: [], total: 0, evidence: [] };
            failures.set(key, f);
          }
          f.times.push(e.ts);
          if (f.times.length > p.failures) f.times.shift();
          f.total++;
          f.evidence.push(evidenceOf(e));
          if (f.evidence.length > EVIDENCE_KEPT) f.evidence.shift();
          failures.touch(key);
          trace?.(`a failed login from ${key}: remembered (${f.times.length} within the window so far)`);
          return null;
        }
        const f = failures.get(key);
        const recent = f === undefined ? 0 : f.times.filter((t) => t >= e.ts - p.window && t <= e.ts).length;
        if (f === undefined || recent < p.failures) {
          trace?.(`${recent} failed logins from ${key} within the ${formatDuration(p.window)} before (a burst is ${p.failures})`);
          return null;
        }
        if (e.dn === null || !isUserDn(e.dn.dn)) {
          trace?.('the success names no user');
          return null;
        }
        const a = e.address!;
        const own = p.groupBy === 'ip' ? user?.addresses.get(a.ip)?.learnt === true : user?.knowsNet(a.net) === true;
        if (own) {
          trace?.(`${key} is one of the user's learnt places: colleagues behind it may be the ones failing`);
          return null;
        }
        return successAfter(e, f, recent, p);
      },
    };
  },
});

/** The finding: `e` succeeded after `recent` failures from its address. (Outside check(): see seenAt in session-moved.ts.) */
function successAfter(e: LogEvent, f: Failures, recent: number, p: Params): Finding {
  const dn = e.dn!;
  const a = e.address!;
  const last = f.times[f.times.length - 1];
  const evidence = [...f.evidence, evidenceOf(e)];
  return {
    dn: dn.dn,
    dnSha1: dn.sha1,
    ip: a.ip,
    country: a.country,
    evidenceTotal: f.total + 1,
    reason() {
      const from = p.groupBy === 'ip' ? where(a.ip, a.country) : `${where(a.ip, a.country)} (network ${a.net})`;
      return (
        `${dn.dn} logged in (AuSuccess) from ${from}, not one of their learnt places, ${formatDuration(e.ts - last)} after ` +
        `${int(recent)} failed logins (AuFail) from ${p.groupBy === 'ip' ? 'it' : 'that network'} within ${formatDuration(p.window)}` +
        `${f.total > recent ? ` (${int(f.total)} in the burst)` : ''}: a guessed password or stuffed credentials that worked? OpenUnison does not log which users were tried.`
      );
    },
    evidence: () => evidence,
  };
}
