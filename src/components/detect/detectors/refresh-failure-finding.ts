import type { Evidence, Severity } from '../../../core/alerts.js';
import { formatDuration } from '../../../core/duration.js';
import { isUserDn } from '../../../core/events.js';
import type { LogEvent } from '../../../core/log-event.js';
import type { Finding } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { where } from '../format.js';

/**
 * What the address's recent successes say: none (a stranger's copy of the token), some as a
 * learnt address of the user who succeeded (the owner's client), or only as one its user has
 * not learnt (new to them, or held back by an alert raised on it).
 */
export type Known = 'stranger' | 'learnt' | 'unlearnt';

/** A refresh OpenUnison refused, detached from its events (a finding held back outlives them). */
export interface RefusedRefresh {
  dn: string | null;
  dnSha1: string | null;
  ip: string | null;
  country: string | null;
  thread: string;
  url: string;
  /** From the WARN to the AzFail. */
  gap: number;
  /** The WARN and the AzFail. */
  evidence: Evidence[];
}

/** The AzFail `e`, `gap` after the WARN `warn` on its thread. */
export function refusedRefresh(e: LogEvent, warn: Evidence, gap: number, url: string): RefusedRefresh {
  const dn = e.dn !== null && isUserDn(e.dn.dn) ? e.dn : null;
  const a = e.address;
  return { dn: dn?.dn ?? null, dnSha1: dn?.sha1 ?? null, ip: a?.ip ?? null, country: a?.country ?? null, thread: e.thread(), url, gap, evidence: [warn, evidenceOf(e)] };
}

/** What the finding says of the pair, beyond the pair itself. */
export interface StaleContext {
  /** What the address's recent successes say (null: the rule does not look). */
  known: Known | null;
  /** How far back a success makes the address known (`unknownAddress.within`). */
  window: number;
  /** Raised at this severity and risk instead of the rule's (a stranger's copy). */
  raise: { severity: Severity; risk: number } | null;
  /** How long before the failure a refresh from the same address rotated a token, or null. */
  raceGap: number | null;
  /** Held back this long for a login from the address's network or autonomous system that did not come (and the pairs from there meanwhile), or null. */
  waited: { ms: number; net: string; asn: number | null; attempts: number } | null;
}

/** The text the rule's parameters give the reason. */
export interface StaleWording {
  message: string;
  meaning: string;
  ownClient: string;
}

function addressNote(known: Known, ip: string, window: string, ownClient: string): string {
  if (known === 'stranger') return ` No user succeeded from ${ip} in the ${window} before: someone other than the token's owner probably holds a copy.`;
  // Not the time of the last success: the one remembered is refreshed once an hour only.
  if (known === 'learnt') return ` ${ip} had successes lately (within the ${window} before) as a learnt address of its user: ${ownClient}.`;
  return (
    ` ${ip} had successes lately (within the ${window} before), but none as a learnt address of its user (it was new to them, or an alert raised on it holds it back): ` +
    `if alerts name ${ip}, this is probably a copy of the token, not the owner's client.`
  );
}

function waitNote(w: NonNullable<StaleContext['waited']>): string {
  const more = w.attempts > 1 ? ` (${w.attempts} refused refreshes from there meanwhile)` : '';
  const place = w.asn === null ? w.net : `${w.net} or another network of AS${w.asn}`;
  return ` No login from ${place} followed within ${formatDuration(w.ms)}${more}: not an owner logging in again after an expired session.`;
}

/** The finding for a refused refresh. (Outside check(): see seenAt in session-moved.ts.) */
export function staleUse(r: RefusedRefresh, c: StaleContext, w: StaleWording): Finding {
  return {
    dn: r.dn,
    dnSha1: r.dnSha1,
    ip: r.ip,
    country: r.country,
    ...(c.raise ?? {}),
    reason() {
      return (
        `A refresh token ${r.dn === null ? '' : `of ${r.dn} `}${w.meaning} from ${where(r.ip, r.country)}: ` +
        `OpenIDConnectIdP logged '${w.message}' and ${formatDuration(r.gap)} later the refresh at ${r.url} failed (AzFail) on thread '${r.thread}'.` +
        (c.raceGap === null || r.ip === null ? '' : ` A refresh from ${r.ip} ${formatDuration(c.raceGap)} before rotated a token: whoever made it holds the live token, and a second client of theirs lost the race.`) +
        (c.known === null || r.ip === null ? '' : addressNote(c.known, r.ip, formatDuration(c.window), w.ownClient)) +
        (c.waited === null ? '' : waitNote(c.waited))
      );
    },
    evidence: () => r.evidence,
  };
}
