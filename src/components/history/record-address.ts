import { TYPE } from '../../core/events.js';
import type { Address, LogEvent } from '../../core/log-event.js';
import type { User } from './user.js';
import { AddressState, CountryState } from './user-state.js';

/**
 * How long after an address's first success an alert raised on its ExpiredRefreshTokenUsed
 * still takes its learning back. OpenUnison logs a refresh's AzSuccess before the grace-period
 * use it reveals, milliseconds later, for the very request that replayed the token. Without
 * this, a thief's address in the user's own country (where only new-source-ip, which does not
 * quarantine, finds it new) was learnt by that success and vouched for the thief's next replay
 * from it. Only that line: an alert on other lines soon after a success (a burst of denials
 * from a user's own new address) says nothing against the success (taking those back too made
 * the benign corpus raise auth-success-after-failures 6 times instead of 2).
 */
export const SAME_REQUEST_MS = 5_000;

function learntJustBefore(st: AddressState, t: number): boolean {
  return st.firstSuccess !== null && t - st.firstSuccess <= SAME_REQUEST_MS;
}

/**
 * One event's address in its user's history: the address's and its country's counts and
 * times, the last geolocated success, and learning. A success teaches the user the address
 * (`learn`) unless an alert keeps it in quarantine: `quarantinedBy`, the alert this event
 * raised, or an earlier one still open. An alert raised on an ExpiredRefreshTokenUsed within
 * SAME_REQUEST_MS of the address's first success takes that learning back (`unlearn`).
 */
export function recordAddress(
  user: User,
  e: LogEvent,
  addr: Address,
  t: number,
  success: boolean,
  quarantinedBy: string | null,
  learn: (user: User, a: AddressState) => void,
  unlearn: (user: User, a: AddressState, alertId: string) => void,
): void {
  let st = user.lastAddress;
  if (st === null || st.ip !== addr.ip) {
    st = user.addresses.get(addr.ip) ?? null;
    if (st === null) {
      st = new AddressState(addr.ip, addr.net, addr.country, addr.asn, addr.asOrg, t, t);
      user.addresses.set(addr.ip, st);
    }
    user.lastAddress = st;
  }
  st.count++;
  if (t < st.firstSeen) st.firstSeen = t;
  if (t > st.lastSeen) st.lastSeen = t;
  if (success) {
    st.successCount++;
    if (st.firstSuccess === null || t < st.firstSuccess) st.firstSuccess = t;
    if (st.lastSuccess === null || t > st.lastSuccess) {
      st.prevSuccess = st.lastSuccess;
      st.lastSuccess = t;
    }
    if (!st.learnt) {
      // The latest alert raised on the address keeps it (an earlier one may be closed as malicious).
      if (quarantinedBy !== null) st.quarantinedBy = quarantinedBy;
      else if (st.quarantinedBy === null) learn(user, st);
    }
    const g = user.lastGeo;
    if (addr.lat !== null && addr.lon !== null && addr.country !== null && (g === null || t >= g.ts)) {
      // The first line at a location is kept (it is what "where they were" shows); later ones only move the time.
      const radiusKm = addr.radiusKm ?? 0;
      if (g === null || g.lat !== addr.lat || g.lon !== addr.lon || g.radiusKm !== radiusKm) {
        user.lastGeo = { ts: t, ip: addr.ip, country: addr.country, lat: addr.lat, lon: addr.lon, radiusKm, line: e.evidence() };
      } else {
        g.ts = t;
        g.ip = addr.ip;
      }
    }
  } else if (quarantinedBy !== null) {
    if (!st.learnt) st.quarantinedBy = quarantinedBy;
    else if (e.type === TYPE.ExpiredRefreshTokenUsed && learntJustBefore(st, t)) unlearn(user, st, quarantinedBy);
  }
  user.touchAddress(st);
  if (addr.country !== null) {
    let c = user.seenCountries.get(addr.country);
    if (c === undefined) {
      c = new CountryState(addr.country, t, t);
      user.seenCountries.set(addr.country, c);
    }
    c.count++;
    if (t < c.firstSeen) c.firstSeen = t;
    if (t > c.lastSeen) c.lastSeen = t;
    if (success) {
      c.successCount++;
      if (c.firstSuccess === null || t < c.firstSuccess) c.firstSuccess = t;
      if (c.lastSuccess === null || t > c.lastSuccess) c.lastSuccess = t;
    }
    user.touchCountry(c);
  }
}
