import { z } from 'zod';
import { isUserDn } from '../../../core/events.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { where } from '../format.js';
import { AddressSet, cidrSchema } from '../../../core/address-set.js';

/** A successful event from outside the allowlist (off while the list is empty). */
export const ipNotAllowed = defineDetector({
  name: 'ip-not-allowed',
  summary: 'a successful event for a user from an address outside the configured CIDR allowlist',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params: z
    .object({
      allow: z.array(cidrSchema).default([]).describe('addresses and CIDR blocks users may come from; empty = rule off'),
    })
    .strict(),
  inactive: (p) => (p.allow.length === 0 ? 'params.allow is empty (list the CIDR blocks users may come from to turn it on)' : null),
  describe: (p) => `a successful event from outside ${p.allow.length ? p.allow.join(', ') : 'the allowlist'}`,
  create: (p) => {
    const allowed = new AddressSet(p.allow);
    return {
      check(e, _history, trace) {
        const dn = e.dn;
        const ip = e.ip;
        if (!isUserDn(dn) || ip === null) {
          trace?.(ip === null ? 'the line names no address' : `${JSON.stringify(dn)} is not a user`);
          return null;
        }
        if (allowed.has(ip)) {
          trace?.(`${ip} is inside the allowlist (${p.allow.join(', ')})`);
          return null;
        }
        const country = e.geo?.country ?? null;
        return {
          dn,
          dnSha1: e.dnSha1,
          ip,
          country,
          reason() {
            return `${dn} succeeded (${e.type}) from ${where(ip, country)}, outside the allowed networks (${p.allow.join(', ')}).`;
          },
          evidence() {
            return [evidenceOf(e)];
          },
          event: e,
        };
      },
      persist() {},
      reset() {},
      trim() {},
    };
  },
});
