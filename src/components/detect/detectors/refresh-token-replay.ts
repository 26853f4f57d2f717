import * as z from 'zod';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { TYPE } from '../../../core/events.js';
import { threadOf, type Address, type LogEvent } from '../../../core/log-event.js';
import { MAX_LOOKBACK_MS } from '../../history/address-trim.js';
import type { User } from '../../history/user.js';
import type { AddressState } from '../../history/user-state.js';
import { defineDetector, type Finding } from '../detector.js';
import { evidenceOf, namedOn } from '../evidence.js';
import { int, iso, listSome, where } from '../format.js';
import { sharedByParam, sharedNetwork } from '../network-sharing.js';

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      knownBefore: durationSchema.prefault('1m').describe("how long before the replay a success must be, to count (OpenUnison logs the same request's AzSuccess just before)"),
      activeWithin: durationSchema
        .refine((ms) => ms <= MAX_LOOKBACK_MS, { error: `at most ${MAX_LOOKBACK_MS / 86_400_000}d (an unlearnt address older than a week may be out of memory)` })
        .prefault('24h')
        .describe('an address (or network) the user succeeded from this recently is theirs, learnt or not'),
      sameNetwork: z.boolean().default(true).describe('a success from the same network (/24, /64) counts as the same place'),
      raceWithin: durationSchema
        .prefault('1m')
        .describe(
          'a token rotated (a successful refresh) from the same address or network this shortly before is the user\'s own clients racing on one kubeconfig, not a copy (0: never)',
        ),
      tokenPath: z.string().min(1).default('/token').describe("the end of the token endpoint's URL (a successful request there is a refresh)"),
      sharedBy: sharedByParam(
        "a rotation and a reuse from two shared networks (an ingress's replicas, a proxy: private ones at least this many users have (any while the organisation's users span fewer than detect.organisation.privateClientNetworks private networks), the organisation's, or listed in detect.organisation.networks) are the same place for a race; null: only the same address or network is",
      ),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

/** A successful request at the token endpoint: [log time, address, network, input and thread]. */
type Refresh = [ts: number, ip: string, net: string | null, where: string];

/** The request of the replay itself: OpenUnison logs its AzSuccess on the same thread just before. */
const OWN_REQUEST_MS = 5_000;
/**
 * A refresh this close before the reuse could be the reuse's own request logged on another
 * thread: never taken for the rotation (a race that close still alerts; a copy never hides).
 */
const TOO_CLOSE_MS = 1_000;
/** Refreshes remembered per user: the race partner, the replay's own request, one more. */
const KEEP = 3;

/** Whether `a` shows the user there: learnt before the horizon, or a success shortly before it. */
function vouches(a: AddressState, horizon: number, p: Params): boolean {
  if (a.firstSuccess === null || a.firstSuccess > horizon) return false;
  if (a.learnt) return true;
  const last = a.lastSuccess!;
  // The latest success at or before the horizon: the last one, or (a busy client) one of those just before it.
  if (last <= horizon) return last >= horizon - p.activeWithin;
  return a.prevSuccess === null || a.prevSuccess > horizon || a.prevSuccess >= horizon - p.activeWithin;
}

function knownAt(user: User, ip: string, net: string | null, horizon: number, p: Params): AddressState | null {
  const own = user.addresses.get(ip);
  if (own !== undefined && vouches(own, horizon, p)) return own;
  if (!p.sameNetwork || net === null) return null;
  return user.addresses.findInNet(net, (a) => vouches(a, horizon, p)) ?? null;
}

/**
 * A refresh token used a second time within the grace period, from a place the user was not
 * at: someone else holds a copy of the token. The user is "at" an address (or its network)
 * that is learnt as theirs, or that they succeeded from within `activeWithin`, in both cases
 * at least `knownBefore` before the replay (OpenUnison logs an AzSuccess for the same request
 * just before the ExpiredRefreshTokenUsed line). An address whose first visit raised an alert
 * is not learnt, so a thief who comes back days later is caught again.
 *
 * A user with no success before the horizon has nothing to compare with (ouwatch was just
 * deployed, or the history was cut): the rule stays quiet rather than end a session on a guess.
 */
export const refreshTokenReplay = defineDetector({
  name: 'refresh-token-replay',
  summary: 'an expired refresh token used within the grace period from an address the user was not at shortly before',
  // Successes at the token endpoint are the rotations a grace-period refresh is compared with.
  events: ['ExpiredRefreshTokenUsed', 'AzSuccess'],
  requiredEvents: ['ExpiredRefreshTokenUsed'],
  params,
  describe: (p: Params) =>
    `an expired refresh token used from an address${p.sameNetwork ? ' (or network)' : ''} with no success of the user ` +
    `between ${formatDuration(p.activeWithin)} and ${formatDuration(p.knownBefore)} before, and not learnt as theirs`,
  create: (p: Params, ctx) => {
    const shared = (ip: string, net: string | null) => sharedNetwork(ctx.organisation, p.sharedBy, ip, net);
    const refreshes = ctx.table<Refresh[]>('refreshes', {
      encode: (r) => JSON.stringify(r),
      decode: (json) => {
        const j = JSON.parse(json) as Refresh[];
        return Array.isArray(j) ? j : null;
      },
      expires: (r) => (r.length === 0 ? null : r[r.length - 1][0] + p.raceWithin + OWN_REQUEST_MS),
    });
    return {
      check(e, user, trace) {
        if (e.type === TYPE.AzSuccess) {
          // Asked of every success: the URL's last bytes first, everything else only for a refresh.
          const a = p.raceWithin > 0 && user !== null && e.urlEndsWith(p.tokenPath) ? e.address : null;
          if (a !== null) {
            const held = refreshes.get(user!.dn);
            const list = held ?? [];
            const from = e.ts - p.raceWithin - OWN_REQUEST_MS;
            let spare: Refresh | undefined;
            while (list.length > 0 && (list[0][0] < from || list.length >= KEEP)) spare = list.shift();
            // The refresh let go holds this one: a new array per refresh, each kept a minute, was
            // most of what benign traffic's scavenges copied from this rule.
            if (spare === undefined) list.push([e.ts, a.ip, a.net, threadOf(e)]);
            else {
              spare[0] = e.ts;
              spare[1] = a.ip;
              spare[2] = a.net;
              spare[3] = threadOf(e);
              list.push(spare);
            }
            // A list held changed in place: touched, not looked up again to be set.
            if (held === undefined) refreshes.set(user!.dn, list);
            else refreshes.touch(user!.dn);
            trace?.(`a refresh at ${p.tokenPath}: remembered for ${formatDuration(p.raceWithin)} as the token's rotation`);
          } else trace?.(`a success, not a refresh at ${p.tokenPath}`);
          return null;
        }
        const a = e.address;
        if (user === null || a === null) {
          trace?.(a === null ? 'the line names no address' : `${JSON.stringify(e.dn?.dn ?? null)} is not a user`);
          return null;
        }
        const horizon = e.ts - p.knownBefore;
        if (user.firstSuccess === null || user.firstSuccess > horizon) {
          trace?.(`no successful event for this user before ${iso(horizon)}: nothing to compare the address with`);
          return null;
        }
        const race = p.raceWithin > 0 ? racedWith(refreshes.get(user.dn), e.ts, a.ip, a.net, threadOf(e), p, shared) : null;
        if (race !== null) {
          refreshes.set(user.dn, race.rest);
          if (race.partner !== null) {
            if (trace !== null) {
              const [at, ip, net] = race.partner;
              const place = ip === a.ip ? 'this address' : net === a.net ? `${ip}, in the same network ${a.net}` : `${ip}, as shared as this one (${shared(ip, net)}; ${shared(a.ip, a.net)})`;
              trace(`the token was rotated ${formatDuration(e.ts - at)} earlier from ${place}: two clients of the user racing on one kubeconfig, not a copy used elsewhere`);
            }
            return null;
          }
        }
        const vouch = knownAt(user, a.ip, a.net, horizon, p);
        if (vouch !== null) {
          trace?.(
            `${vouch.ip === a.ip ? a.ip : `${vouch.ip}, in the same network ${a.net},`} shows the user there: ` +
              `${vouch.learnt ? 'learnt as theirs' : 'not learnt'}, last success ${iso(vouch.lastSuccess!)}, ${int(vouch.successCount)} successful events`,
          );
          return null;
        }
        if (p.sameNetwork && user.learntLetGoIn(a.net)) {
          // Let go from memory: last seen over a week before, so learnt long before the horizon.
          trace?.(`an address in the same network ${a.net}, learnt as theirs and last seen over a week ago, shows the user there`);
          return null;
        }
        return copiedToken(e, user, a, horizon, p);
      },
    };
  },
});

/** The finding: a grace-period use from an address that does not vouch for the user. (Outside check(): see seenAt in session-moved.ts.) */
function copiedToken(e: LogEvent, user: User, a: Address, horizon: number, p: Params): Finding {
  const st = user.addresses.get(a.ip);
  const firstHere = st?.firstSuccess ?? null;
  const dn = e.dn!;
  return {
    ...namedOn(e, a),
    reason() {
      // The user's other learnt addresses (this one is learnt too when no rule alerted on its first success).
      // Three are listed: one more in case this address is among them.
      const lately = user.learntLately(e.ts, MAX_LOOKBACK_MS, 4);
      const usual = { ips: lately.ips.filter((ip) => ip !== a.ip), total: lately.total - (st?.learnt === true ? 1 : 0) };
      return (
        `An expired refresh token of ${dn.dn} was used within the grace period from ${where(a.ip, a.country)}, ` +
        (firstHere === null
          ? 'an address never seen succeeding for this user'
          : firstHere > horizon
            ? `an address whose first success for this user was only ${formatDuration(e.ts - firstHere)} earlier`
            : `an address not learnt as the user's${st?.quarantinedBy ? ` (alert ${st.quarantinedBy}, raised on it, is not closed as benign)` : ''} and not used by them in the ${formatDuration(p.activeWithin)} before`) +
        ` (learnt: ${usual.total > 0 ? listSome(usual.ips, 3, usual.total) : 'none'}): the refresh token was probably copied and replayed.`
      );
    },
    evidence: () => [evidenceOf(e)],
  };
}

/**
 * The refresh this grace-period use raced with. The replay's own request (its AzSuccess on the
 * same thread just before) is a reuse, not a rotation: it is dropped from the list, so a
 * thief's later replays are not taken for races with his first. The latest remaining refresh
 * within `raceWithin` (and not within a second, where it could be the request itself) is the
 * rotation: from the same address or network, both refreshes came from one place. Null when
 * nothing is remembered for the user.
 */
function racedWith(
  list: Refresh[] | undefined,
  ts: number,
  ip: string,
  net: string | null,
  where: string,
  p: Params,
  shared: (ip: string, net: string | null) => string | null,
): { partner: Refresh | null; rest: Refresh[] } | null {
  if (list === undefined || list.length === 0) return null;
  let rest = list;
  for (let k = list.length - 1; k >= 0; k--) {
    const r = list[k];
    if (r[3] === where && r[0] <= ts && ts - r[0] <= OWN_REQUEST_MS) {
      rest = [...list.slice(0, k), ...list.slice(k + 1)];
      break;
    }
  }
  let partner: Refresh | null = null;
  for (let k = rest.length - 1; k >= 0 && partner === null; k--) {
    const r = rest[k];
    const gap = ts - r[0];
    if (gap < TOO_CLOSE_MS) continue;
    if (gap > p.raceWithin) break;
    // The latest refresh before the reuse is the rotation: it must come from the same place,
    // or both from shared infrastructure (behind an ingress each request reaches a replica).
    if (r[1] === ip || (p.sameNetwork && net !== null && r[2] === net) || (shared(ip, net) !== null && shared(r[1], r[2]) !== null)) partner = r;
    break;
  }
  return { partner, rest };
}
