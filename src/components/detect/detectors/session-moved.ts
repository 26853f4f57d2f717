import * as z from 'zod';
import type { Evidence } from '../../../core/alerts.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import type { Address, LogEvent } from '../../../core/log-event.js';
import type { User } from '../../history/user.js';
import { defineDetector, type Finding } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { where } from '../format.js';
import { sharedByParam, sharedNetwork } from '../network-sharing.js';
import type { StateCodec } from '../state-table.js';

/** Where a session was last used. */
interface Seen {
  ts: number;
  ip: string;
  net: string | null;
  asn: number | null;
  country: string | null;
  evidence: Evidence;
}

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      within: durationSchema.prefault('10m').describe('how soon the session must come back to a network it was used from, after a use from another'),
      sameAsnIsSamePlace: z.boolean().default(true).describe('a move inside one ASN (mobile carriers, dual-stack IPv4/IPv6 of one ISP) is not a move'),
      sharedBy: sharedByParam(
        "a return between two shared networks is infrastructure spreading one client over its addresses (an ingress's replicas, a proxy, an office's NAT pool), not a second party: a private network at least this many users have as their own (any private one while the organisation's users span fewer than detect.organisation.privateClientNetworks private networks), a public one at least detect.organisation.minUsers (and this many) have, or one detect.organisation.networks lists; null: judge every network alike",
      ),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

/** The two networks a session was last used from: `cur` the latest, `prev` the one before. */
interface Uses {
  cur: Seen;
  prev: Seen | null;
  /**
   * The session's alert key (`session:<id>`), made at its first return and kept, not stored:
   * a session going back and forth is found at every return, and a key joined anew for each
   * finding had to be flattened and hashed again to find the open alert it repeats.
   */
  key?: string;
}

function encodeSeen(s: Seen): unknown[] {
  return [s.ts, s.ip, s.net, s.asn, s.country, s.evidence.source, s.evidence.line];
}

function decodeSeen(j: unknown): Seen | null {
  if (!Array.isArray(j) || j.length !== 7) return null;
  const [ts, ip, net, asn, country, source, line] = j as [number, string, string | null, number | null, string | null, string, string];
  return { ts, ip, net, asn, country, evidence: { source, line } };
}

function usesToJson(u: Uses): unknown[] {
  return [encodeSeen(u.cur), u.prev === null ? null : encodeSeen(u.prev)];
}

function usesFromJson(j: unknown): Uses | null {
  if (!Array.isArray(j) || j.length !== 2) return null;
  const cur = decodeSeen(j[0]);
  const prev = j[1] === null ? null : decodeSeen(j[1]);
  return cur === null || (j[1] !== null && prev === null) ? null : { cur, prev };
}

/**
 * One OpenUnison session id used alternately from two networks within minutes: the session
 * cookie was copied and is being used beside its owner. A single move (home Wi-Fi to a
 * phone's hotspot, a VPN switched on) is the owner taking the laptop along and is not
 * reported; a session that goes back to a network it left minutes ago while another network
 * used it in between is two people. Moves inside one ASN (a carrier's CGNAT pool, an ISP's
 * IPv4 and IPv6) are the owner's own and do not count.
 */
export const sessionMoved = defineDetector({
  name: 'session-moved',
  summary: 'one session id used alternately from two networks within minutes (a stolen session cookie used beside its owner)',
  events: ['AuSuccess', 'AzSuccess', 'AzFail', 'ExpiredRefreshTokenUsed'],
  requiredEvents: [],
  params,
  describe: (p: Params) =>
    `one session used from a network, then another${p.sameAsnIsSamePlace ? ' in a different ASN' : ''}, then the first again, within ${formatDuration(p.within)}` +
    (p.sharedBy === null ? '' : `; not between two shared networks (private ones ${p.sharedBy} or more users have, the organisation's: an ingress, a NAT pool)`),
  create: (p: Params, ctx) => {
    const codec: StateCodec<Uses> = {
      encode: (u) => JSON.stringify(usesToJson(u)),
      decode: (json) => usesFromJson(JSON.parse(json)),
      toJson: usesToJson,
      fromJson: usesFromJson,
      expires: (u) => u.cur.ts + p.within,
      // A session is set at its first use and touched at most once a minute after: as a
      // row each, a commit wrote every session used since the last at a random place of the
      // state table (many-users, 400,000 lines: 145,000 rows, 11% of the replay's time).
      chunked: true,
    };
    const sessions = ctx.table('uses', codec);
    const samePlace = (a: { asn: number | null }, b: { asn: number | null }) => p.sameAsnIsSamePlace && a.asn !== null && a.asn === b.asn;
    const sharedWhy = (ip: string, net: string | null) => sharedNetwork(ctx.organisation, p.sharedBy, ip, net);
    return {
      check(e, user, trace) {
        const sid = e.sessionId;
        const a = e.address;
        if (sid === null || a === null || user === null) {
          trace?.(sid === null ? 'the line has no session id' : a === null ? 'the line names no address' : 'not a user');
          return null;
        }
        const uses = sessions.get(sid);
        if (uses === undefined) {
          sessions.set(sid, { cur: seenAt(e, a), prev: null });
          trace?.('first use of this session seen');
          return null;
        }
        // From here the entry changes in place and is touched: setting it again would look the
        // session up a second time, in a table as large as the sessions of the last minutes.
        if (uses.cur.ts < e.ts - p.within) {
          trace?.(`the session was last used ${formatDuration(e.ts - uses.cur.ts)} earlier`);
          uses.cur = seenAt(e, a);
          uses.prev = null;
          sessions.touch(sid);
          return null;
        }
        const { cur, prev } = uses;
        if (cur.net === a.net) {
          // Keep the first line from this network as evidence; refresh the time at most once a minute.
          if (e.ts - cur.ts > 60_000) {
            // In place (no copy per refresh): nothing outside the table holds the entry.
            cur.ts = e.ts;
            cur.ip = a.ip;
            sessions.touch(sid);
          }
          trace?.(`same network (${a.net}) as its last use`);
          return null;
        }
        const now = seenAt(e, a);
        uses.cur = now;
        uses.prev = cur;
        sessions.touch(sid);
        if (samePlace(a, cur)) {
          trace?.(`moved from ${cur.net} to ${a.net} inside AS${a.asn}: the owner's own network`);
          return null;
        }
        if (prev === null || prev.net !== a.net) {
          trace?.(`moved from ${cur.net} to ${a.net}: one move is the owner taking the session along; two people show as a return to ${a.net} within ${formatDuration(p.within)}`);
          return null;
        }
        const gap = e.ts - prev.ts;
        if (gap > p.within || gap < 0) {
          // A negative gap: the state is newer than the line (explain on a line already processed).
          trace?.(
            gap < 0
              ? `back on ${a.net}, but its stored use from there is ${formatDuration(-gap)} after this line`
              : `back on ${a.net}, last used from it ${formatDuration(gap)} earlier (a return counts within ${formatDuration(p.within)})`,
          );
          return null;
        }
        // Behind an ingress that does not pass the client address on, every request leaves
        // from one of its replicas' addresses, each used by everyone: a session then goes
        // back and forth between them all day. Two networks both that widely shared say
        // nothing about who holds the session.
        const sharedHere = sharedWhy(a.ip, a.net);
        const sharedBetween = sharedHere === null ? null : sharedWhy(cur.ip, cur.net);
        if (sharedHere !== null && sharedBetween !== null) {
          trace?.(`back on ${a.net} after ${cur.net}, but both are shared (${sharedHere}; ${sharedBetween}): one client spread over an ingress or NAT pool, not two parties`);
          return null;
        }
        return new Returned(e, user, sid, (uses.key ??= `session:${sid}`), prev, cur, now, p.within);
      },
    };
  },
});

/**
 * Where the event used the session from. Built only where it is stored: most uses repeat the
 * session's network and need none. (Module functions, not closures in check(): a closure
 * there would make V8 allocate check's variables on the heap at every event.)
 */
function seenAt(e: LogEvent, a: Address): Seen {
  return { ts: e.ts, ip: a.ip, net: a.net, asn: a.asn, country: a.country, evidence: evidenceOf(e) };
}

/**
 * The session came back to the network `prev` within `within`, after `cur` used it from
 * another. A class, not an object of closures: a session going back and forth is found at
 * every return, and all but the first are repeats of the open alert.
 */
class Returned implements Finding {
  readonly dn: string;
  readonly dnSha1: string;
  readonly ip: string;
  readonly country: string | null;
  private readonly suspect: Seen;
  private readonly other: Seen;

  constructor(
    private readonly e: LogEvent,
    user: User,
    private readonly sid: string,
    /** One alert per session, whichever of its two networks the event came from. */
    readonly suppressKey: string,
    private readonly prev: Seen,
    private readonly cur: Seen,
    private readonly now: Seen,
    private readonly within: number,
  ) {
    // Either party may be the thief. The one that came in between, into a session already
    // in use, is the likelier; unless it is one of the user's own addresses and the other is not.
    const swap = user.addresses.get(cur.ip)?.learnt === true && user.addresses.get(now.ip)?.learnt !== true;
    this.suspect = swap ? now : cur;
    this.other = swap ? cur : now;
    const dn = e.dn!;
    this.dn = dn.dn;
    this.dnSha1 = dn.sha1;
    this.ip = this.suspect.ip;
    this.country = this.suspect.country;
  }

  reason(): string {
    const { suspect, other, prev, cur, now } = this;
    return (
      `Session ${this.sid} of ${this.dn} was used from ${where(suspect.ip, suspect.country)} (${suspect.net}) and from ` +
      `${where(other.ip, other.country)} (${other.net}) in turn: ${prev.net}, then ${cur.net} ${formatDuration(cur.ts - prev.ts)} later, ` +
      `then ${now.net} again ${formatDuration(this.e.ts - cur.ts)} after that (a return within ${formatDuration(this.within)}). ` +
      'Two parties use one session cookie: it was probably copied.'
    );
  }

  evidence(): Evidence[] {
    return [this.prev.evidence, this.cur.evidence, this.now.evidence];
  }
}
