import * as z from 'zod';
import { isNonPublic } from '../../core/addresses.js';
import type { OrganisationView } from '../history/organisation.js';

/**
 * Why a network is shared infrastructure rather than one person's place, or null. Behind an
 * ingress that does not pass the client address on, every request leaves from one of its
 * replicas' addresses, used by everyone; so does a proxy's, or an office's NAT pool. Shared
 * is: a network detect.organisation.networks lists; a private one at least `sharedBy` users
 * have as their own (private addresses reach OpenUnison only through the organisation's own
 * equipment), or any private one while the organisation's users span fewer than
 * detect.organisation.privateClientNetworks private networks (`whyEquipment`: a new store,
 * or a lone user, behind such an ingress, where nobody else has been seen yet); a public one
 * at least `sharedBy` and detect.organisation.minUsers users have (a carrier's pool is shared
 * with strangers too). Asked at rare moments (a session's return, a refresh race), not per
 * event.
 */
export function sharedNetwork(org: OrganisationView, sharedBy: number | null, ip: string, net: string | null): string | null {
  if (sharedBy === null) return null;
  const users = org.usersOnNet(net);
  // Most networks are one user's: one map lookup, nothing more (unless private ones are few).
  if (users < sharedBy) return org.whyEquipment(ip, net) ?? org.whyListed(ip);
  if (isNonPublic(ip) || users >= org.minUsers) return `${net}, where ${users} users have addresses of their own`;
  return org.whyListed(ip);
}

/** The `sharedBy` parameter of the rules that ask `sharedNetwork` (null: no network is shared). */
export const sharedByParam = (what: string) => z.number().int().min(2).nullable().default(2).describe(what);
