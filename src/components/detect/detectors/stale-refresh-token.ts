import { z } from 'zod';
import type { Evidence } from '../../../core/alerts.js';
import { isUserDn } from '../../../core/events.js';
import { defineDetector } from '../detector.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { evidenceOf } from '../evidence.js';
import { where } from '../format.js';
import { KeyedState, StateEntry, type StateCodec } from '../state.js';
import { detach } from '../../../core/strings.js';

/** A WARN of OpenIDConnectIdP waiting for the AzFail that follows it on its thread. */
class Pending extends StateEntry {
  constructor(
    readonly ts: number,
    readonly evidence: Evidence,
  ) {
    super();
  }
}

/**
 * OpenUnison answers a refresh with a token it no longer knows with the WARN
 * `Session does not exist from refresh_token`, then an AzFail on the same thread. At a
 * `/token` endpoint that is a refresh token used after its grace period: a second copy of
 * the token (or a client that lost the race) is still trying.
 *
 * Threads are unique only within one log (a replica), so the pair is keyed by origin and
 * thread. The AzFail often carries `cn=none`: the alert is then keyed on the address.
 */
export const staleRefreshToken = defineDetector({
  name: 'stale-refresh-token',
  summary: "OpenIDConnectIdP's 'Session does not exist from refresh_token' WARN followed on its thread by an AzFail at a /token endpoint",
  events: ['IdpWarning', 'AzFail'],
  params: z
    .object({
      message: z.string().min(1).default('Session does not exist from refresh_token').describe('the WARN text that starts a pair'),
      pairWithin: durationSchema.prefault('5s').describe('how soon the AzFail must follow on the same thread'),
      tokenPath: z.string().min(1).default('/token').describe('the request path the AzFail must end with'),
    })
    .strict(),
  describe: (p) => `'${p.message}' then, within ${formatDuration(p.pairWithin)} on the same thread, an AzFail at a URL ending in ${p.tokenPath}`,
  create: (p, ctx) => {
    const codec: StateCodec<Pending> = {
      encode: (s) => JSON.stringify([s.ts, s.evidence.source, s.evidence.line]),
      decode: (json) => {
        const j = JSON.parse(json) as [number, string, string];
        return Array.isArray(j) && j.length === 3 ? new Pending(j[0], { source: j[1], line: j[2] }) : null;
      },
      expires: (s) => s.ts + p.pairWithin,
    };
    const state = new KeyedState(ctx.state, ctx.scope, codec, 10_000, true);
    return {
      check(e, _history, trace) {
        if (e.type === 'IdpWarning') {
          if (!e.message.includes(p.message)) {
            trace?.(`this WARN is not '${p.message}'`);
            return null;
          }
          trace?.(`waits for an AzFail at *${p.tokenPath} on thread '${e.thread}' within ${formatDuration(p.pairWithin)}`);
          state.set(detach(e.origin + '\n' + e.thread), new Pending(e.ts, evidenceOf(e)));
          return null;
        }
        if (state.size === 0) {
          trace?.(`no '${p.message}' WARN is waiting for its AzFail`);
          return null;
        }
        const key = e.origin + '\n' + e.thread;
        const warn = state.get(key);
        if (warn === undefined) {
          trace?.(`no '${p.message}' WARN is waiting on thread '${e.thread}' of ${e.origin}`);
          return null;
        }
        state.delete(key);
        const gap = e.ts - warn.ts;
        if (gap > p.pairWithin || gap < 0) {
          trace?.(`the WARN on this thread was ${formatDuration(gap)} earlier (pairs within ${formatDuration(p.pairWithin)})`);
          return null;
        }
        if (e.url === null || !e.url.endsWith(p.tokenPath)) {
          trace?.(`the AzFail after the WARN is at ${e.url ?? 'no URL'}, not a ${p.tokenPath} endpoint`);
          return null;
        }
        const dn = isUserDn(e.dn) ? e.dn : null;
        const country = e.geo?.country ?? null;
        return {
          dn,
          dnSha1: dn === null ? null : e.dnSha1,
          ip: e.ip,
          country,
          reason() {
            return (
              `A refresh token ${dn === null ? '' : `of ${dn} `}was used after its grace period from ${where(e.ip, country)}: ` +
              `OpenIDConnectIdP logged '${p.message}' and ${formatDuration(gap)} later the refresh at ${e.url} failed (AzFail) on thread '${e.thread}'.`
            );
          },
          evidence() {
            return [warn.evidence, evidenceOf(e)];
          },
          event: e,
        };
      },
      persist: () => state.persist(),
      reset: () => state.reset(),
      trim: (now) => {
        state.sweep(now);
        state.trim();
      },
    };
  },
});
