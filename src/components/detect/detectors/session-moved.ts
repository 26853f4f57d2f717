import { z } from 'zod';
import type { Evidence } from '../../../core/alerts.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { where } from '../format.js';
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

const params = z
  .object({
    within: durationSchema.prefault('10m').describe('two networks within this long make a move'),
    sameAsnIsSamePlace: z.boolean().default(true).describe('a move inside one ASN (mobile carriers, dual-stack IPv4/IPv6 of one ISP) is not a move'),
  })
  .strict();
type Params = z.output<typeof params>;

/**
 * One OpenUnison session id used from two networks within minutes: the session cookie was
 * copied and is being used beside its owner. Moves inside one ASN (a carrier's CGNAT pool, an
 * ISP's IPv4 and IPv6) are the owner's own and do not count.
 */
export const sessionMoved = defineDetector({
  name: 'session-moved',
  summary: 'one session id used from two networks within minutes (a stolen session cookie used beside its owner)',
  events: ['AuSuccess', 'AzSuccess', 'AzFail', 'ExpiredRefreshTokenUsed'],
  requiredEvents: [],
  params,
  describe: (p: Params) => `one session used from two networks${p.sameAsnIsSamePlace ? ' in different ASNs' : ''} within ${formatDuration(p.within)}`,
  create: (p: Params, ctx) => {
    const codec: StateCodec<Seen> = {
      encode: (s) => JSON.stringify([s.ts, s.ip, s.net, s.asn, s.country, s.evidence.source, s.evidence.line]),
      decode: (json) => {
        const j = JSON.parse(json) as [number, string, string | null, number | null, string | null, string, string];
        return Array.isArray(j) && j.length === 7 ? { ts: j[0], ip: j[1], net: j[2], asn: j[3], country: j[4], evidence: { source: j[5], line: j[6] } } : null;
      },
      expires: (s) => s.ts + p.within,
    };
    const sessions = ctx.table('last', codec);
    return {
      check(e, user, trace) {
        const sid = e.sessionId;
        const a = e.address;
        if (sid === null || a === null || user === null) {
          trace?.(sid === null ? 'the line has no session id' : a === null ? 'the line names no address' : 'not a user');
          return null;
        }
        let was = sessions.get(sid);
        if (was !== undefined && e.ts - was.ts > p.within) {
          // Forgotten, as a commit's sweep forgets it: the outcome must not depend on when commits happen.
          trace?.(`last used from ${was.net} ${formatDuration(e.ts - was.ts)} earlier (a move counts within ${formatDuration(p.within)})`);
          was = undefined;
        }
        const here: Seen = { ts: e.ts, ip: a.ip, net: a.net, asn: a.asn, country: a.country, evidence: was === undefined || was.net !== a.net ? evidenceOf(e) : was.evidence };
        if (was === undefined || was.net === a.net) {
          if (was === undefined || e.ts - was.ts > 60_000) sessions.set(sid, was === undefined ? here : { ...was, ts: e.ts });
          trace?.(was === undefined ? 'first use of this session seen' : `same network (${a.net}) as its last use`);
          return null;
        }
        sessions.set(sid, here);
        const gap = e.ts - was.ts;
        if (gap > p.within || gap < 0) {
          trace?.(`last used from ${was.net} ${formatDuration(gap)} earlier (a move counts within ${formatDuration(p.within)})`);
          return null;
        }
        if (p.sameAsnIsSamePlace && a.asn !== null && a.asn === was.asn) {
          trace?.(`moved from ${was.net} to ${a.net} inside AS${a.asn}: the owner's own network`);
          return null;
        }
        const dn = e.dn!;
        return {
          dn: dn.dn,
          dnSha1: dn.sha1,
          ip: a.ip,
          country: a.country,
          reason: () =>
            `Session ${sid} of ${dn.dn} was used from ${where(a.ip, a.country)} (${a.net}) ${formatDuration(gap)} after a use from ` +
            `${where(was.ip, was.country)} (${was.net}): the session cookie is probably used by someone else beside its owner.`,
          evidence: () => [was.evidence, evidenceOf(e)],
        };
      },
    };
  },
});
