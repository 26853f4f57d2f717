import * as z from 'zod';
import { AddressSet, cidrSchema } from '../../../core/address-set.js';
import { defineDetector } from '../detector.js';
import { evidenceOf, namedOn } from '../evidence.js';
import { where } from '../format.js';

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      allow: z.array(cidrSchema).default([]).describe('addresses and CIDR blocks users may come from; empty = rule off'),
    })
    .strict();

/** A successful event from outside the allowlist (off while the list is empty). */
export const ipNotAllowed = defineDetector({
  name: 'ip-not-allowed',
  summary: 'a successful event for a user from an address outside the configured CIDR allowlist',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params,
  inactive: (p) => (p.allow.length === 0 ? 'params.allow is empty (list the CIDR blocks users may come from to turn it on)' : null),
  describe: (p) => `a successful event from outside ${p.allow.length ? p.allow.join(', ') : 'the allowlist'}`,
  create: (p) => {
    const allowed = new AddressSet(p.allow);
    return {
      check(e, user, trace) {
        const a = e.address;
        if (user === null || a === null) {
          trace?.(a === null ? 'the line names no address' : `${JSON.stringify(e.dn?.dn ?? null)} is not a user`);
          return null;
        }
        if (allowed.has(a.ip)) {
          trace?.(`${a.ip} is inside the allowlist (${p.allow.join(', ')})`);
          return null;
        }
        const dn = e.dn!;
        return {
          ...namedOn(e, a),
          reason: () => `${dn.dn} succeeded (${e.typeName}) from ${where(a.ip, a.country)}, outside the allowed networks (${p.allow.join(', ')}).`,
          evidence: () => [evidenceOf(e)],
        };
      },
    };
  },
});
