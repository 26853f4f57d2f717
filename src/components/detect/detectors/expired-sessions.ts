import type { Severity } from '../../../core/alerts.js';
import { formatDuration } from '../../../core/duration.js';
import { TYPE } from '../../../core/events.js';
import type { Address, LogEvent } from '../../../core/log-event.js';
import type { OrganisationView } from '../../history/organisation.js';
import type { DetectorContext, Finding, HeldFinding, Trace } from '../detector.js';
import { sharedNetwork } from '../network-sharing.js';
import type { Known, RefusedRefresh, StaleContext } from './refresh-failure-finding.js';

/** `expiredSession`'s parameters (refresh-failure). */
export interface ExpiryParams {
  raceWithin: number;
  renewWithin: number;
}

/** What to do with a refused refresh. */
export type Verdict =
  | { kind: 'owner'; why: string }
  | { kind: 'race'; gap: number }
  | { kind: 'wait' };

/** A refused refresh from an unfamiliar place, waiting for a login from its network. */
interface Held {
  /** Its evidence ends with the AzFail, the event the finding names. */
  refusal: RefusedRefresh;
  ts: number;
  net: string;
  /** Its autonomous system: a login from another of its networks (a carrier's NAT pool) clears it too. */
  asn: number | null;
  deadline: number;
  attempts: number;
  known: Known;
  raise: { severity: Severity; risk: number } | null;
}

/**
 * Refusals held at once at most, and their evidence lines' characters: past either (a
 * botnet's stale tokens, lines of a megabyte), a new one is raised without waiting.
 */
const HOLD_AT_MOST = 10_000;
const HOLD_CHARS_AT_MOST = 16 << 20;
const NOTHING_DUE: HeldFinding[] = [];

/**
 * Tells a refresh token used after its grace period from the token of a session that expired.
 * OpenUnison answers both with `Session does not exist from refresh_token`: its clear-sessions
 * job (every minute in its Helm charts) deletes a session once it has been idle for its
 * timeout, so a kubectl back after lunch, overnight or after a trip meets that WARN.
 *
 * - After a refresh from the address within `raceWithin`, a client lost a refresh race to
 *   another on the same kubeconfig (with OpenUnison's default grace period of 0, every race
 *   ends so): whoever refreshed holds the live token. At a learnt address of its user (or
 *   shared equipment) that is the owner, and nothing is raised, as refresh-token-replay raises
 *   nothing for the same race within the grace period; anywhere else, a finding at once.
 * - Otherwise, from a familiar place (a learnt address of its user lately, or a network where
 *   the organisation's users have learnt addresses; the AzFail rarely names the user) it is a
 *   session that expired: its client's next command after the idle timeout. Nothing is raised.
 * - From anywhere else (a hotel abroad, a new address of the user's provider, a stranger's
 *   server) the pair waits `renewWithin` for a login (AuSuccess) from its network or another
 *   network of its autonomous system (a carrier's NAT pool): the owner logging in again after
 *   the expired session, which a stranger holding a stale copy cannot do. None, and it is
 *   raised, at its own time; so it is at the end of a replay, when the login cannot come.
 */
export class ExpiredSessions {
  /** The last refresh (AzSuccess at the token path) per address, for `raceWithin`. */
  private readonly refreshes;
  /** Refusals waiting for a login, by network. */
  private readonly held;
  /** No held refusal's wait ends before this log time. */
  private nextDue = Number.NEGATIVE_INFINITY;
  /** The evidence characters of the refusals held since the start (those read back at a start are not counted). */
  private heldChars = 0;

  constructor(
    private readonly p: ExpiryParams,
    ctx: DetectorContext,
    private readonly org: OrganisationView = ctx.organisation,
  ) {
    // Not stored: a restart forgets the races of the minutes before it. Bounded: the least recent go first.
    this.refreshes = ctx.table<number>('refreshes', {
      encode: (ts) => String(ts),
      decode: (json) => (Number.isFinite(Number(json)) ? Number(json) : null),
      expires: (ts) => ts + p.raceWithin,
      capacity: 100_000,
      persist: false,
    });
    // Stored: a restart during the wait raises them when it ends, or lets a login clear them.
    this.held = ctx.table<Held>('held', {
      encode: (h) => JSON.stringify(h),
      decode: (json) => {
        const h = JSON.parse(json) as Held;
        const ok = typeof h === 'object' && h !== null && typeof h.deadline === 'number' && Array.isArray(h.refusal?.evidence) && h.refusal.evidence.length > 0;
        return ok ? h : null;
      },
      // Past the wait, with a margin: due() raises and deletes it before any sweep could.
      expires: (h) => h.deadline + p.renewWithin + 3_600_000,
    });
  }

  /** A success: remembered when it refreshed a token; a login clears what waits for its network. */
  success(e: LogEvent, refresh: boolean, trace: Trace | null): void {
    const a = e.address;
    if (a === null) return;
    if (refresh) this.refreshes.set(a.ip, e.ts);
    if (e.type === TYPE.AuSuccess && this.held.size > 0) this.login(a, e.ts, trace);
  }

  /** A login from `a`: what waits for its network, or for another network of its autonomous system, was an expired session. */
  private login(a: Address, ts: number, trace: Trace | null): void {
    const key = a.net ?? a.ip;
    const cleared = (k: string, h: Held) => {
      this.letGo(k, h);
      trace?.(`a login from ${a.ip}: the refused refresh from ${h.refusal.ip} at ${new Date(h.ts).toISOString()} was an expired session, and is not raised`);
    };
    const same = this.held.get(key);
    if (same !== undefined && ts >= same.ts) cleared(key, same);
    if (a.asn === null) return;
    // A few wait at a time: held only from places nobody here uses, and only for minutes.
    for (const [k, h] of this.held.entries()) if (h.asn === a.asn && ts >= h.ts) cleared(k, h);
  }

  judge(a: Address, known: Known, ts: number): Verdict {
    const since = ts - (this.refreshes.get(a.ip) ?? Number.NEGATIVE_INFINITY);
    if (since <= this.p.raceWithin) {
      // Whoever refreshed there holds the live token: the owner only at their own learnt address (or shared equipment).
      const own = known === 'learnt' ? ' (a learnt address of its user lately)' : sharedPlace(a, this.org);
      return own === null
        ? { kind: 'race', gap: since }
        : { kind: 'owner', why: `a refresh from ${a.ip}${own} ${formatDuration(since)} before: the owner's clients racing on one kubeconfig, not a stale copy` };
    }
    const familiar = familiarPlace(a, known, this.org);
    if (familiar === null) return { kind: 'wait' };
    return { kind: 'owner', why: `no refresh from ${a.ip} in the ${formatDuration(this.p.raceWithin)} before, from a familiar place${familiar}: an expired session OpenUnison has deleted, not a stale copy` };
  }

  /**
   * Holds the refusal `e` made (`refusal`) until a login from its network, or `renewWithin`.
   * False when too many wait already: the caller raises it at once. A second refusal from a
   * network that waits counts on the first.
   */
  hold(e: LogEvent, a: Address, refusal: RefusedRefresh, context: { known: Known; raise: StaleContext['raise'] }, trace: Trace | null): boolean {
    const key = a.net ?? a.ip;
    const waiting = this.held.get(key);
    if (waiting !== undefined) {
      waiting.attempts++;
      this.held.touch(key);
    } else {
      const chars = charsOf(refusal);
      if (this.held.size >= HOLD_AT_MOST || this.heldChars + chars > HOLD_CHARS_AT_MOST) return false;
      const deadline = e.ts + this.p.renewWithin;
      this.held.set(key, { refusal, ts: e.ts, net: key, asn: a.asn, deadline, attempts: 1, known: context.known, raise: context.raise });
      this.heldChars += chars;
      if (deadline < this.nextDue) this.nextDue = deadline;
    }
    trace?.(
      `from a place none of the organisation's users has learnt: waits ${formatDuration(this.p.renewWithin)} for a login from ${key}` +
        `${a.asn === null ? '' : ` or another network of AS${a.asn}`} (the owner logging in again after an expired session), and is raised without one`,
    );
    return true;
  }

  /** The refusals whose wait ended by `now`, as findings (`finding` makes one from what was held). */
  due(now: number, finding: (refusal: RefusedRefresh, c: StaleContext) => Finding, window: number): HeldFinding[] {
    if (now < this.nextDue || this.held.size === 0) return NOTHING_DUE;
    const out: HeldFinding[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, h] of this.held.entries()) {
      if (h.deadline > now) {
        if (h.deadline < next) next = h.deadline;
        continue;
      }
      this.letGo(key, h);
      const waited = { ms: this.p.renewWithin, net: h.net, asn: h.asn ?? null, attempts: h.attempts };
      const named = h.refusal.evidence[h.refusal.evidence.length - 1];
      out.push({ finding: finding(h.refusal, { known: h.known, window, raise: h.raise, raceGap: null, waited }), ts: h.ts, line: named.line, source: named.source, net: h.net });
    }
    this.nextDue = next;
    return out;
  }

  private letGo(key: string, h: Held): void {
    this.held.delete(key);
    this.heldChars = Math.max(0, this.heldChars - charsOf(h.refusal));
  }
}

function charsOf(r: RefusedRefresh): number {
  let n = 0;
  for (const ev of r.evidence) n += ev.line.length;
  return n;
}

/** Why the address is shared equipment (an ingress, a NAT, a listed network), as a clause, or null. */
function sharedPlace(a: Address, org: OrganisationView): string | null {
  const shared = sharedNetwork(org, 2, a.ip, a.net);
  return shared === null ? null : ` (a shared network: ${shared})`;
}

/** Why the address's place is the organisation's users' (as a clause), or null. */
function familiarPlace(a: Address, known: Known, org: OrganisationView): string | null {
  if (known === 'learnt') return ' (a learnt address of its user lately)';
  const shared = sharedPlace(a, org);
  if (shared !== null) return shared;
  const onNet = org.usersOnNet(a.net);
  if (onNet > 0) return ` (${a.net}, where ${onNet} user${onNet === 1 ? ' has' : 's have'} learnt addresses)`;
  // Not an autonomous system a colleague uses: a stale copy tried from the same cloud or ISP
  // would pass. An owner there logs in again, which clears the wait (`login`).
  const listed = org.whyListed(a.ip) ?? org.whyEquipment(a.ip, a.net);
  return listed === null ? null : ` (${listed})`;
}
