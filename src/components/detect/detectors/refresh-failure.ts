import * as z from 'zod';
import { SEVERITIES, type Evidence } from '../../../core/alerts.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { TYPE } from '../../../core/events.js';
import { threadOf } from '../../../core/log-event.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import type { StateCodec } from '../state-table.js';
import { ExpiredSessions } from './expired-sessions.js';
import { refusedRefresh, staleUse, type Known, type RefusedRefresh, type StaleContext } from './refresh-failure-finding.js';

/** How often the remembered success of an address is refreshed, for `unknownAddress`. */
const REFRESH_EVERY = 3_600_000;

/**
 * The last success remembered for an address, as one number (the table holds up to 200,000):
 * its log time, negated when no user who succeeded from it had it as a learnt address (new to
 * them, or held back by an alert it raised, as a thief's is). A positive value read from a
 * store written before the sign was kept means what it meant then: a success.
 */
type LastSuccess = number;
const remembered = (ts: number, learnt: boolean): LastSuccess => (learnt ? ts : -ts);
const timeOf = (s: LastSuccess): number => Math.abs(s);
const wasLearnt = (s: LastSuccess): boolean => s > 0;
/** A stored last success (a non-zero number, signed as `remembered` makes it), or null. */
const lastSuccessFrom = (v: unknown): LastSuccess | null => (typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v : null);

/**
 * Whether a success at `ts` replaces what is remembered (not a learnt one less than an hour
 * old: the caller skips those before looking the address up): a learnt success replaces an
 * unlearnt one at once and a learnt one hourly; an unlearnt one replaces an unlearnt one
 * hourly, and a learnt one only once that is past the rule's window (`keptFor`).
 */
function replaces(was: LastSuccess | undefined, ts: number, learnt: boolean, keptFor: number): boolean {
  if (was === undefined) return true;
  const age = ts - timeOf(was);
  if (learnt) return !wasLearnt(was) || age >= REFRESH_EVERY;
  return age >= (wasLearnt(was) ? keptFor : REFRESH_EVERY);
}

/** A WARN of OpenIDConnectIdP waiting for the AzFail that follows it on its thread. */
interface Pending {
  ts: number;
  evidence: Evidence;
}

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      message: z.string().min(1).default('Session does not exist from refresh_token').describe('the WARN text that starts a pair'),
      meaning: z
        .string()
        .min(1)
        .default('was used after its grace period')
        .describe("what the pair says of the refresh token, as the reason puts it ('A refresh token of <dn> <meaning> from <address>')"),
      ownClient: z
        .string()
        .min(1)
        .default("probably the owner's own client losing a refresh race")
        .describe('what the pair most likely is when the address had successes as a learnt address of its user (with `unknownAddress`)'),
      pairWithin: durationSchema.prefault('5s').describe('how soon the AzFail must follow on the same thread'),
      tokenPath: z.string().min(1).default('/token').describe('the request path the AzFail must end with'),
      unknownAddress: z
        .object({
          within: durationSchema.prefault('24h').describe('how far back a success from the address makes it known'),
          severity: z.enum(SEVERITIES).default('high'),
          risk: z.number().int().min(0).max(1000).default(60),
          capacity: z.number().int().min(1000).max(10_000_000).default(200_000).describe('addresses remembered at most (the least recent are forgotten first)'),
        })
        .strict()
        .nullable()
        .default(null)
        .describe("the finding's severity and risk when no user succeeded from the address within `within` (needs AuSuccess or AzSuccess in the rule's events)"),
      expiredSession: z
        .object({
          raceWithin: durationSchema
            .prefault('2m')
            .describe('a refresh (AzSuccess at `tokenPath`) from the same address this shortly before: another client there rotated the token, and this one lost the race'),
          renewWithin: durationSchema
            .prefault('10m')
            .describe('a pair from an unfamiliar place waits this long for a login (AuSuccess) from its network or autonomous system, the owner logging in again after an expired session; without one it is raised'),
        })
        .strict()
        .nullable()
        .default(null)
        .describe(
          "tell the owner's pairs from a stale copy's (needs `unknownAddress`, AuSuccess and AzSuccess in the rule's events): OpenUnison's clear-sessions job deletes expired sessions every minute, and a refresh with such a session's token logs the same WARN, as does a client that lost a refresh race. After a refresh from the address within `raceWithin`, nothing at a learnt address of its user and a finding at once elsewhere; otherwise nothing from a familiar place (a learnt address, or a network where the organisation's users have learnt addresses), and from another place a finding only when no login from its network or autonomous system follows within `renewWithin`; null: every pair is a finding at once",
        ),
    })
    .strict()
    .refine((p) => p.expiredSession === null || p.unknownAddress !== null, { error: 'expiredSession needs unknownAddress (what the address\'s recent successes say)', path: ['expiredSession'] });
type Params = z.output<ReturnType<typeof params>>;

/**
 * OpenUnison refuses a refresh with a WARN of OpenIDConnectIdP, then an AzFail on the same
 * thread. Which WARN says why (a rule picks one with `message`):
 *  - `Session does not exist from refresh_token`: no live session has this token. Either the
 *    token was rotated and its grace period is over (a client that lost a refresh race, or a
 *    copy of the token still trying: rule stale-refresh-token), or its session expired and is
 *    gone: OpenUnison's clear-sessions job (every minute in its Helm charts) deletes expired
 *    sessions, so a client back after the idle timeout mostly meets this WARN, not `Session
 *    expired`. With `expiredSession`, the detector tells these apart (`judge`);
 *  - `Invalid client_secret`: checked only once the token matched its session, so whoever sent
 *    it holds the user's live refresh token, without the client's secret (invalid-client-secret).
 *  (`Session expired`, an idle client within the minute before the job runs, and the `...
 *  tampered with` WARNs, which check the tokens OpenUnison stored and follow a change of its
 *  signing key, say nothing of who sent the token.)
 *
 * Threads are unique only within one log (a replica), so the pair is keyed by input and
 * thread. The AzFail often carries `cn=none`: the alert is then keyed on the address.
 *
 * With `unknownAddress`, a pair from an address no user succeeded from lately (someone else
 * holds a copy of the token) is raised at a higher risk.
 */
export const refreshFailure = defineDetector({
  name: 'refresh-failure',
  summary: "a refresh-failure WARN of OpenIDConnectIdP (by default 'Session does not exist from refresh_token') followed on its thread by an AzFail at a /token endpoint",
  events: ['IdpWarning', 'AzFail', 'AuSuccess', 'AzSuccess'],
  requiredEvents: ['IdpWarning', 'AzFail'],
  params,
  describe: (p: Params) =>
    `'${p.message}' then, within ${formatDuration(p.pairWithin)} on the same thread, an AzFail at a URL ending in ${p.tokenPath}` +
    (p.expiredSession === null
      ? ''
      : ` (after a refresh from the address within ${formatDuration(p.expiredSession.raceWithin)}: nothing at a learnt address, at once elsewhere; else nothing from a familiar place (an expired session), and from another only without a login from its network or autonomous system within ${formatDuration(p.expiredSession.renewWithin)})`),
  create: (p: Params, ctx) => {
    const codec: StateCodec<Pending> = {
      encode: (s) => JSON.stringify([s.ts, s.evidence.source, s.evidence.line]),
      decode: (json) => {
        const j = JSON.parse(json) as [number, string, string];
        return Array.isArray(j) && j.length === 3 ? { ts: j[0], evidence: { source: j[1], line: j[2] } } : null;
      },
      expires: (s) => s.ts + p.pairWithin,
    };
    const pending = ctx.table('pending', codec);
    const unknown = p.unknownAddress;
    /** How long a remembered success keeps an address known. */
    const keptFor = (unknown?.within ?? 0) + REFRESH_EVERY;
    const lastSuccess =
      unknown === null
        ? null
        : ctx.table<LastSuccess>('last-success', {
            encode: (s) => String(s),
            decode: (json) => lastSuccessFrom(Number(json)),
            toJson: (s) => s,
            fromJson: lastSuccessFrom,
            expires: (s) => timeOf(s) + keptFor,
            // Bounded: past it, the addresses least recently succeeded from are forgotten (a
            // stale token from one of them then counts as from an unknown address).
            capacity: unknown.capacity,
            // Stored (held in memory only, a restarted run would take the addresses it has not
            // seen succeed again yet for strangers' and raise their stale tokens at high risk),
            // but in chunks: an address per success at most once an hour is still most of the
            // rows a commit writes when addresses are many.
            chunked: true,
          });
    const expiry = p.expiredSession === null ? null : new ExpiredSessions(p.expiredSession, ctx);
    const window = unknown?.within ?? 0;
    const finding = (r: RefusedRefresh, c: StaleContext) => staleUse(r, c, p);
    return {
      check(e, user, trace) {
        if (e.type === TYPE.AuSuccess || e.type === TYPE.AzSuccess) {
          const ip = e.address?.ip;
          if (lastSuccess === null || ip === undefined) return null;
          expiry?.success(e, e.type === TYPE.AzSuccess && e.urlEndsWith(p.tokenPath), trace);
          const was = lastSuccess.get(ip);
          // Most successes come from an address remembered as learnt within the hour: nothing to change, nothing to look up.
          if (was !== undefined && wasLearnt(was) && e.ts - was < REFRESH_EVERY) {
            trace?.('a success from an address known (within the hour) as a learnt address of a user');
            return null;
          }
          // The user's history before this event: an address is learnt from its second success on, unless an alert holds it back.
          const learnt = user?.addresses.get(ip)?.learnt === true;
          const replaced = replaces(was, e.ts, learnt, keptFor);
          if (replaced) lastSuccess.set(ip, remembered(e.ts, learnt));
          trace?.(
            learnt
              ? 'a success from a learnt address of its user: remembered as a known address'
              : replaced
                ? 'a success from an address its user has not learnt (new to them, or held back by an alert): remembered, but not as anyone\'s own'
                : 'a success from an address its user has not learnt; it stays known as a learnt address of another user',
          );
          return null;
        }
        const key = threadOf(e);
        if (e.type === TYPE.IdpWarning) {
          if (!e.message().includes(p.message)) {
            trace?.(`this WARN is not '${p.message}'`);
            return null;
          }
          trace?.(`waits for an AzFail at *${p.tokenPath} on thread '${e.thread()}' within ${formatDuration(p.pairWithin)}`);
          pending.set(key, { ts: e.ts, evidence: evidenceOf(e) });
          return null;
        }
        if (pending.size === 0) {
          trace?.(`no '${p.message}' WARN is waiting for its AzFail`);
          return null;
        }
        const warn = pending.get(key);
        if (warn === undefined) {
          trace?.(`no '${p.message}' WARN is waiting on thread '${e.thread()}' of ${e.origin}`);
          return null;
        }
        pending.delete(key);
        const gap = e.ts - warn.ts;
        if (gap > p.pairWithin || gap < 0) {
          trace?.(`the WARN on this thread was ${formatDuration(gap)} earlier (pairs within ${formatDuration(p.pairWithin)})`);
          return null;
        }
        const url = e.url();
        if (url === null || !url.endsWith(p.tokenPath)) {
          trace?.(`the AzFail after the WARN is at ${url ?? 'no URL'}, not a ${p.tokenPath} endpoint`);
          return null;
        }
        const a = e.address;
        const seen = a === null || lastSuccess === null ? undefined : lastSuccess.get(a.ip);
        const known: Known | null = unknown === null || a === null ? null : seen === undefined || e.ts - timeOf(seen) > keptFor ? 'stranger' : wasLearnt(seen) ? 'learnt' : 'unlearnt';
        const raise = known === 'stranger' && unknown !== null ? { severity: unknown.severity, risk: unknown.risk } : null;
        const refusal = refusedRefresh(e, warn.evidence, gap, url);
        if (expiry === null || a === null || known === null) return finding(refusal, { known, window, raise, raceGap: null, waited: null });
        const verdict = expiry.judge(a, known, e.ts);
        if (verdict.kind === 'owner') {
          trace?.(verdict.why);
          return null;
        }
        if (verdict.kind === 'wait' && expiry.hold(e, a, refusal, { known, raise }, trace)) return null;
        return finding(refusal, { known, window, raise, raceGap: verdict.kind === 'race' ? verdict.gap : null, waited: null });
      },
      due: expiry === null ? undefined : (now) => expiry.due(now, finding, window),
    };
  },
});
