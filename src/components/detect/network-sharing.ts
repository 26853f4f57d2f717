import * as z from 'zod';
import { isNonPublic } from '../../core/addresses.js';
import type { OrganisationView } from '../history/organisation.js';

/**
 * Below this many private networks in all, the organisation's private addresses are taken for
 * its equipment rather than its clients. Behind an ingress or a node's NAT that does not pass
 * the client address on, OpenUnison logs a handful of private addresses (the ingress's pods,
 * the nodes), whatever the number of users; where private addresses are the clients' own (a
 * LAN or VPN reaching OpenUnison without NAT), they spread over many more networks.
 */
export const FEW_PRIVATE_NETWORKS = 20;

/**
 * Why a network is shared infrastructure rather than one person's place, or null. Behind an
 * ingress that does not pass the client address on, every request leaves from one of its
 * replicas' addresses, used by everyone; so does a proxy's, or an office's NAT pool. Shared
 * is: a network detect.organisation.networks lists; a private one at least `sharedBy` users
 * have as their own (private addresses reach OpenUnison only through the organisation's own
 * equipment), or any private one while the organisation has fewer than FEW_PRIVATE_NETWORKS
 * (a new store, or a lone user, behind such an ingress: nobody else has been seen there yet);
 * a public one at least `sharedBy` and detect.organisation.minUsers users have (a carrier's
 * pool is shared with strangers too). Asked at rare moments (a session's return, a refresh
 * race), not per event.
 */
export function sharedNetwork(org: OrganisationView, sharedBy: number | null, ip: string, net: string | null): string | null {
  if (sharedBy === null) return null;
  const users = org.usersOnNet(net);
  // Most networks are one user's: one map lookup, nothing more (unless private ones are few).
  if (users < sharedBy) {
    const privates = org.privateNetworks();
    if (privates < FEW_PRIVATE_NETWORKS && isNonPublic(ip)) {
      return `${net}, private, and the organisation's users have addresses in only ${privates} private network${privates === 1 ? '' : 's'} (fewer than ${FEW_PRIVATE_NETWORKS}): an ingress's or the nodes' addresses, not clients'`;
    }
    return org.whyListed(ip);
  }
  if (isNonPublic(ip) || users >= org.minUsers) return `${net}, where ${users} users have addresses of their own`;
  return org.whyListed(ip);
}

/** The `sharedBy` parameter of the rules that ask `sharedNetwork` (null: no network is shared). */
export const sharedByParam = (what: string) => z.number().int().min(2).nullable().default(2).describe(what);
