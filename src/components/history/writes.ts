import { TYPE } from '../../core/events.js';
import { byText } from '../../core/order.js';
import type { HistoryRowSink, HistoryWrites, OrganisationCount, UserWrite } from '../../core/history.js';
import type { User } from './user.js';

const TYPE_NAMES = Object.keys(TYPE);
/** `"AuSuccess":` and the like, by event type: the keys of a user's counts as JSON. */
const COUNT_KEYS = TYPE_NAMES.map((name) => `${JSON.stringify(name)}:`);

/**
 * The rows a commit writes for the users changed since the last one. In DN order (a user's
 * sessions by id): the stores find users by a B-tree of DNs, which tens of thousands of new
 * users inserted in random order would touch at a random page each, where in order they walk
 * its pages once; their other rows are keyed by the number each new user then gets, in
 * this order too.
 *
 * `inCall`: the store writes the commit before its call returns (PipelineStore.writesWithinCall),
 * so it is handed the users' own objects through `writeTo` rather than copies of their rows.
 * On SQLite the copies were an eighth of what a replay of many new users allocated, all of it
 * alive until the commit ended.
 */
export function historyWrites(changed: readonly User[], organisation: OrganisationCount[], inCall = false): HistoryWrites {
  const users = changed.slice().sort((a, b) => byText(a.dn, b.dn));
  if (inCall) return { users: [], addresses: [], countries: [], sessions: [], activity: [], organisation, writeTo: (sink) => writeUsers(users, sink) };
  const w: HistoryWrites = { users: [], addresses: [], countries: [], sessions: [], activity: [], organisation };
  writeUsers(users, copyInto(w));
  return w;
}

/**
 * The users' rows from their own state, into a store's sink or into copies (copyInto). All
 * users first, then each kind of row: a store then works on one table at a time (with a
 * million users, their key's index is larger than SQLite's page cache, and rows written
 * between two users' inserts pushed its pages out).
 */
function writeUsers(users: readonly User[], sink: HistoryRowSink): void {
  for (const u of users) sink.user(u, countsJson(u.counts), !u.stored);
  for (const u of users) for (const a of u.dirtyAddresses) sink.address(u.dn, a);
  for (const u of users) for (const c of u.dirtyCountries) sink.country(u.dn, c);
  for (const u of users) {
    for (const s of u.sessions()) {
      sink.session(u.dn, s);
      for (const span of s.spans()) sink.sessionIp(u.dn, s.sessionId, span);
    }
  }
  for (const u of users) {
    for (const a of u.activity) sink.activity(u.dn, a);
    for (const a of u.hourActivity()) sink.activity(u.dn, a);
  }
}

/** A sink that copies each row into `w`'s arrays: what a store whose commit awaits takes (see historyWrites). */
function copyInto(w: HistoryWrites): HistoryRowSink {
  return {
    user: (u, countsJson, isNew) =>
      w.users.push({ dn: u.dn, dnSha1: u.dnSha1, firstSeen: u.firstSeen, lastSeen: u.lastSeen, counts: JSON.parse(countsJson) as UserWrite['counts'], successCount: u.successCount, firstSuccess: u.firstSuccess, lastSuccess: u.lastSuccess, lastGeo: u.lastGeo, isNew }),
    address: (dn, a) =>
      w.addresses.push({ dn, ip: a.ip, net: a.net, country: a.country, asn: a.asn, asOrg: a.asOrg, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count, successCount: a.successCount, firstSuccess: a.firstSuccess, lastSuccess: a.lastSuccess, learnt: a.learnt, quarantinedBy: a.quarantinedBy }),
    country: (dn, c) => w.countries.push({ dn, country: c.country, firstSeen: c.firstSeen, lastSeen: c.lastSeen, count: c.count, successCount: c.successCount, firstSuccess: c.firstSuccess, lastSuccess: c.lastSuccess }),
    session: (dn, s) => w.sessions.push({ sessionId: s.sessionId, dn, first: s.first, last: s.last, count: s.count, ips: [] }),
    // A session's addresses come right after it. Copied, not the spans themselves: history
    // counts on into them, and a batch kept in doubt must say what it held (in-doubt.ts).
    sessionIp: (_dn, _sessionId, span) => w.sessions[w.sessions.length - 1].ips.push({ ip: span.ip, first: span.first, last: span.last, count: span.count }),
    activity: (dn, a) => w.activity.push({ dn, hour: a.hour, ip: a.ip, country: a.country, events: a.events, failures: a.failures }),
  };
}

/** A user's counts as a JSON object: the types above zero, in order. */
export function countsJson(counts: readonly number[]): string {
  let json = '{';
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n > 0) json += (json.length > 1 ? ',' : '') + COUNT_KEYS[i] + JSON.stringify(n);
  }
  return json + '}';
}
