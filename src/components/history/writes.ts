import { TYPE } from '../../core/events.js';
import { byText } from '../../core/order.js';
import type { HistoryWrites, OrganisationCount } from '../../core/history.js';
import type { User } from './user.js';

const TYPE_NAMES = Object.keys(TYPE);

/**
 * The rows a commit writes for the users changed since the last one. In DN order (a user's
 * sessions by id): the stores find users by a B-tree of DNs, which tens of thousands of new
 * users inserted in random order would touch at a random page each, where in order they walk
 * its pages once; their other rows are keyed by the number each new user then gets, in
 * this order too.
 */
export function historyWrites(changed: readonly User[], organisation: OrganisationCount[]): HistoryWrites {
  const w: HistoryWrites = { users: [], addresses: [], countries: [], sessions: [], activity: [], organisation };
  const users = changed.slice().sort((a, b) => byText(a.dn, b.dn));
  for (const u of users) {
    const counts: Record<string, number> = {};
    u.counts.forEach((n, i) => {
      if (n > 0) counts[TYPE_NAMES[i]] = n;
    });
    w.users.push({ dn: u.dn, dnSha1: u.dnSha1, firstSeen: u.firstSeen, lastSeen: u.lastSeen, counts, successCount: u.successCount, firstSuccess: u.firstSuccess, lastSuccess: u.lastSuccess, lastGeo: u.lastGeo, isNew: !u.stored });
    for (const a of u.dirtyAddresses) w.addresses.push({ dn: u.dn, ip: a.ip, net: a.net, country: a.country, asn: a.asn, asOrg: a.asOrg, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count, successCount: a.successCount, firstSuccess: a.firstSuccess, lastSuccess: a.lastSuccess, learnt: a.learnt, quarantinedBy: a.quarantinedBy });
    for (const c of u.dirtyCountries) w.countries.push({ dn: u.dn, country: c.country, firstSeen: c.firstSeen, lastSeen: c.lastSeen, count: c.count, successCount: c.successCount, firstSuccess: c.firstSuccess, lastSuccess: c.lastSuccess });
    for (const s of u.sessions()) w.sessions.push({ sessionId: s.sessionId, dn: u.dn, first: s.first, last: s.last, count: s.count, ips: s.spans() });
    for (const a of u.activity) w.activity.push({ dn: u.dn, hour: a.hour, ip: a.ip, country: a.country, events: a.events, failures: a.failures });
    for (const a of u.hourActivity()) w.activity.push({ dn: u.dn, hour: a.hour, ip: a.ip, country: a.country, events: a.events, failures: a.failures });
  }
  return w;
}
