import * as z from 'zod';
import { SEVERITIES, type Severity } from '../../../core/alerts.js';
import type { Address, LogEvent } from '../../../core/log-event.js';
import type { OrganisationView } from '../../history/organisation.js';
import { MAX_LOOKBACK_MS } from '../../history/address-trim.js';
import type { User } from '../../history/user.js';
import { defineDetector, type Finding } from '../detector.js';
import { evidenceOf, namedOn } from '../evidence.js';
import { int, iso, listSome, where } from '../format.js';
import { baselineParams, describeBaseline, describeLearning, hasBaseline } from './baseline.js';

const FIELDS = ['ip', 'net', 'asn', 'country'] as const;
type Field = (typeof FIELDS)[number];
const CONTEXT = ['asn', 'country'] as const;

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      field: z.enum(FIELDS).describe('what must be new for the user: the address, its network (/24, /64), its ASN or its country'),
      ...baselineParams,
      minKnown: z.number().int().min(0).default(0).describe('values of the field the user must already have (e.g. one country to compare with)'),
      quietWhenLow: z
        .boolean()
        .default(false)
        .describe("a low-risk finding raises no alert: the value is learnt and shown in the user's history, and `explain` says why it stayed quiet"),
      lowRisk: z
        .object({
          when: z.array(z.enum(CONTEXT)).min(1).describe('a new value is low risk when these are known for the user'),
          severity: z.enum(SEVERITIES).default('low'),
          risk: z.number().int().min(0).max(1000).default(5),
        })
        .strict()
        .nullable()
        .default(null)
        .describe('a new network inside a known ASN and country is low risk'),
      organisation: z
        .object({
          network: z
            .enum(['known', 'low', 'new'])
            .default('new')
            .describe("an event from one of the organisation's networks (configured, or learnt by enough colleagues): not new, low risk, or judged like any other"),
          common: z
            .enum(['low', 'new'])
            .default('new')
            .describe('a value new for the user that enough colleagues have (a country with a branch office): low risk, or judged like any other'),
          severity: z.enum(SEVERITIES).default('low').describe('the severity of a finding made low risk by the organisation'),
          risk: z.number().int().min(0).max(1000).default(5),
        })
        .strict()
        .prefault({})
        .describe("peer context: the places the organisation's people use"),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

const WORD: Record<Field, string> = { ip: 'address', net: 'network', asn: 'autonomous system (ASN)', country: 'country' };

function valueOf(a: Pick<Address, 'ip' | 'net' | 'asn' | 'country'>, f: Field): string | null {
  switch (f) {
    case 'ip':
      return a.ip;
    case 'net':
      return a.net;
    case 'asn':
      return a.asn === null ? null : String(a.asn);
    case 'country':
      return a.country;
  }
}

/**
 * The colleagues who have learnt this value, and what it is they share. A network counts by
 * itself or by its ISP: a new pool of an ASN that colleagues use, in a country the user
 * already has, is the neighbourhood's DSL or mobile carrier, not a stranger's network.
 */
function colleagues(org: OrganisationView, user: User, a: Address, f: Field): { users: number; what: string } {
  switch (f) {
    case 'ip':
    case 'net': {
      const onNet = org.usersOnNet(a.net);
      const onAsn = user.knowsCountry(a.country) ? org.usersOnAsn(a.asn) : 0;
      return onAsn > onNet ? { users: onAsn, what: `AS${a.asn} in ${a.country}` } : { users: onNet, what: `this ${WORD[f]}` };
    }
    case 'asn':
      return { users: org.usersOnAsn(a.asn), what: `this ${WORD[f]}` };
    case 'country':
      return { users: org.usersInCountry(a.country), what: `this ${WORD[f]}` };
  }
}

/** Whether the user has learnt this value (an address of their own carries it). */
function knows(u: User, a: Address, f: Field): boolean {
  switch (f) {
    case 'ip':
      return u.addresses.get(a.ip)?.learnt === true;
    case 'net':
      return u.knowsNet(a.net) || u.addresses.get(a.ip)?.learnt === true;
    case 'asn':
      return u.knowsAsn(a.asn);
    case 'country':
      return u.knowsCountry(a.country);
  }
}

/**
 * The values of the field the user knows: how many, and (for a reason, so only when one is
 * written) the list. Counted without a list: a user whose thief's addresses in a known
 * country were learnt by the thousand made every success build thousands of networks.
 * Learnt addresses: those of the last week listed.
 */
function known(u: User, f: Field, t: number): { count: number; list: () => string[] } {
  switch (f) {
    case 'ip': {
      const learnt = u.learntLately(t, MAX_LOOKBACK_MS, 4);
      return { count: learnt.total, list: () => learnt.ips };
    }
    case 'net':
      return { count: u.learntCount('net'), list: () => u.nets() };
    case 'asn':
      return { count: u.learntCount('asn'), list: () => u.asns().map((n) => `AS${n}`) };
    case 'country':
      return { count: u.learntCount('country'), list: () => u.countries().sort() };
  }
}

function asnText(a: Address): string {
  return a.asn === null ? '' : `AS${a.asn}${a.asOrg ? ` ${a.asOrg}` : ''}`;
}

/**
 * A value never seen for the user (Elastic `new_terms` semantics over the user's learnt
 * history): a success from a network, ASN or country none of their own addresses belongs to.
 * Learnt addresses only: an address whose first success raised an alert is learnt when that
 * alert is closed as benign, so a thief who returns is still new.
 */
export const newValue = defineDetector({
  name: 'new-value',
  summary: "a successful event from an address, network, ASN or country none of the user's learnt addresses has",
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params,
  describe: (p: Params) =>
    `a successful event from a ${WORD[p.field]} new for the user, ${describeBaseline(p)}` +
    (p.minKnown > 0 ? ` and at least ${p.minKnown} known` : '') +
    (p.lowRisk ? `; low risk when its ${p.lowRisk.when.join(' and ')} ${p.lowRisk.when.length > 1 ? 'are' : 'is'} known` : '') +
    (p.organisation.network === 'known' ? "; never from the organisation's networks" : p.organisation.network === 'low' ? "; low risk from the organisation's networks" : '') +
    (p.organisation.common === 'low' ? `; low risk when enough colleagues have the ${WORD[p.field]}` : ''),
  create: (p: Params, ctx) => ({
    check(e: LogEvent, user, trace) {
      const org = ctx.organisation;
      const a = e.address;
      if (a === null) {
        trace?.('the line names no address');
        return null;
      }
      const value = valueOf(a, p.field);
      if (value === null) {
        trace?.(`${a.ip} has no ${WORD[p.field]} (private, reserved or not in the offline data): never counts`);
        return null;
      }
      if (!hasBaseline(user, p)) {
        trace?.(describeLearning(user, p));
        return null;
      }
      if (knows(user, a, p.field)) {
        trace?.(`${p.field === 'ip' ? a.ip : `${value} (of ${a.ip})`} is known for this user`);
        return null;
      }
      const have = known(user, p.field, e.ts);
      if (have.count < p.minKnown) {
        trace?.(`the user has ${have.count} known ${WORD[p.field]} values so far (needs ${p.minKnown} to compare with)`);
        return null;
      }
      const orgNet = p.organisation.network === 'new' ? null : org.whyOrgNetwork(a.ip, a.net);
      if (orgNet !== null && p.organisation.network === 'known') {
        trace?.(`${orgNet}: its ${WORD[p.field]} is the organisation's, not news about this user`);
        return null;
      }
      const peers = p.organisation.common === 'low' ? colleagues(org, user, a, p.field) : null;
      const byOrg =
        orgNet !== null
          ? `from one of the organisation's networks (${orgNet})`
          : peers !== null && peers.users >= org.minUsers
            ? `${peers.users} colleagues have addresses in ${peers.what}`
            : null;
      const byUser =
        p.lowRisk !== null && p.lowRisk.when.every((c) => (c === 'asn' ? user.knowsAsn(a.asn) : user.knowsCountry(a.country)))
          ? `inside a known ${p.lowRisk.when.join(' and ')}`
          : null;
      const because = byUser ?? byOrg;
      const low = because !== null;
      if (low && p.quietWhenLow) {
        trace?.(`${p.field === 'ip' ? a.ip : `${value} (of ${a.ip})`} is new for this user but ${because}: low risk, learnt without an alert`);
        return null;
      }
      return unseenValue(e, user, a, value, have, byUser !== null ? p.lowRisk! : p.organisation, because, p);
    },
  }),
});

/** The finding: `value` is new for the user. (Outside check(): see seenAt in session-moved.ts.) */
function unseenValue(e: LogEvent, user: User, a: Address, value: string, have: { count: number; list: () => string[] }, lowRisk: { severity: Severity; risk: number }, because: string | null, p: Params): Finding {
  const low = because !== null;
  const dn = e.dn!;
  return {
    ...namedOn(e, a),
    ...(low ? { severity: lowRisk.severity, risk: lowRisk.risk } : {}),
    reason() {
      const where1 = where(a.ip, a.country) + (a.asn !== null ? ` ${asnText(a)}` : '');
      const newPart = p.field === 'ip' ? 'an address' : `a ${WORD[p.field]} (${value})`;
      return (
        `${dn.dn} succeeded (${e.typeName}) from ${where1}, ${newPart} never seen for this user in ` +
        `${int(user.successCount)} successful events since ${iso(user.firstSuccess!)}` +
        (have.count > 0 ? ` (known: ${listSome(have.list(), 4, have.count)})` : '') +
        (low ? `; ${because}: low risk` : '') +
        '.'
      );
    },
    evidence: () => [evidenceOf(e)],
  };
}
