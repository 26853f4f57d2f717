import { z } from 'zod';
import { isUserDn } from '../../../core/events.js';
import { defineDetector } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { int, iso, listSome, where } from '../format.js';
import { baselineParams, describeBaseline, describeLearning, hasBaseline } from './baseline.js';

/** A learnt user succeeds from an address never seen succeeding for them. */
export const newSourceIp = defineDetector({
  name: 'new-source-ip',
  summary: 'a successful event (AuSuccess, AzSuccess) for a learnt user from an address never seen for them',
  events: ['AuSuccess', 'AzSuccess'],
  requiredEvents: [],
  params: z.object({ ...baselineParams }).strict(),
  describe: (p) => `a successful event from an address new for the user, ${describeBaseline(p)}`,
  create: (p) => ({
    check(e, history, trace) {
      const dn = e.dn;
      const ip = e.ip;
      if (!isUserDn(dn) || ip === null) {
        trace?.(ip === null ? 'the line names no address' : `${JSON.stringify(dn)} is not a user: no baseline`);
        return null;
      }
      const user = history.user(dn);
      if (!hasBaseline(user, p)) {
        trace?.(describeLearning(user, p));
        return null;
      }
      const known = user.ips.get(ip);
      if (known !== undefined && known.successCount > 0) {
        trace?.(`${ip} is known for this user: ${int(known.successCount)} successful events since ${iso(known.firstSuccess!)}, the last at ${iso(known.lastSuccess!)}`);
        return null;
      }
      const country = e.geo?.country ?? null;
      return {
        dn,
        dnSha1: e.dnSha1,
        ip,
        country,
        reason() {
          const usual: string[] = [];
          for (const [addr, st] of user.ips) if (st.successCount > 0) usual.push(addr);
          return `${dn} succeeded (${e.type}) from ${where(ip, country)}, an address never seen for this user in ` +
          `${int(user.successCount)} successful events since ${iso(user.firstSuccess!)}` +
          (usual.length ? ` (known: ${listSome(usual)})` : '') +
            (known !== undefined ? `; it was seen before only in ${int(known.count)} unsuccessful events` : '') +
            '.';
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
  }),
});
