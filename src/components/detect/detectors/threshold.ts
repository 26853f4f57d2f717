import * as z from 'zod';
import { appended } from '../../../core/arrays.js';
import { textGlob } from '../../../core/dn-patterns.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { EVENT_TYPES, isUserDn } from '../../../core/events.js';
import type { LogEvent } from '../../../core/log-event.js';
import { defineDetector, type Finding } from '../detector.js';
import { evidenceOf } from '../evidence.js';
import { int, where } from '../format.js';
import type { StateTable } from '../state-table.js';
import { Window, windowCodec, windowShape } from './threshold-window.js';

/**
 * What a window is kept for: one per address, network, user or session, or one for every
 * event the rule takes (`all`: failed logins from a botnet, spread over too many networks for
 * any of the others to see a burst; OpenUnison logs no user name with them).
 */
const GROUPS = ['ip', 'net', 'dn', 'session', 'all'] as const;
type Group = (typeof GROUPS)[number];
const DISTINCT = ['ip', 'net', 'dn', 'session', 'url', 'app'] as const;
type DistinctField = (typeof DISTINCT)[number];

const globs = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** Built on first use: a start that takes its shipped rules as the build validated them builds no schema. */
const params = () =>
  z
    .object({
      groupBy: z.enum(GROUPS).describe('one window per address, network (/24, /64), user or session, or one for all the events the rule takes'),
      threshold: z.number().int().min(2).max(100_000).describe('events (or distinct values) that make a burst'),
      window: durationSchema.describe('how close together, in log time'),
      distinct: z.enum(DISTINCT).nullable().default(null).describe('count distinct values of this field instead of events'),
      spread: z
        .object({ field: z.enum(DISTINCT), atLeast: z.number().int().min(2).max(100_000) })
        .strict()
        .nullable()
        .default(null)
        .describe('the events must also carry this many distinct values of a field (a spray across addresses, not one noisy address)'),
      where: z
        .object({ url: globs.optional(), app: globs.optional(), message: globs.optional(), level: globs.optional(), dn: globs.optional() })
        .strict()
        .default({})
        .describe('only events whose fields match these globs (any of a list; * matches anything)'),
      what: z.string().min(1).optional().describe('what the events are, in the alert sentence (default: their types)'),
    })
    .strict();
type Params = z.output<ReturnType<typeof params>>;

function groupKey(e: LogEvent, g: Group): string | null {
  switch (g) {
    case 'ip':
      return e.address?.ip ?? null;
    case 'net':
      return e.address?.net ?? null;
    case 'dn':
      return e.dn !== null && isUserDn(e.dn.dn) ? e.dn.dn : null;
    case 'session':
      return e.sessionId;
    case 'all':
      return ALL;
  }
}

/** The one window's key of `groupBy: all`. */
const ALL = '*';

function fieldValue(e: LogEvent, f: DistinctField): string | null {
  switch (f) {
    case 'ip':
      return e.address?.ip ?? null;
    case 'net':
      return e.address?.net ?? null;
    case 'dn':
      return e.dn?.dn ?? null;
    case 'session':
      return e.sessionId;
    case 'url':
      return e.url();
    case 'app':
      return e.app();
  }
}

const GROUP_WORDS: Record<Group, string> = { ip: 'address', net: 'network', dn: 'user', session: 'session', all: 'log' };

/** The window a trace speaks of: `address 81.2.69.142`, or the whole log's. */
const windowOf = (g: Group, key: string) => (g === 'all' ? 'the whole log' : `${GROUP_WORDS[g]} ${key}`);

/**
 * N events (or N distinct values of a field) for one key within a sliding window of log time:
 * failure bursts per address or per network (a spray spread over a /24), authorization
 * probing per user, NotFound scans, anything an analyst writes as YAML. Once a burst is
 * reported its window starts afresh, so a long attack counts one repeat per full burst on the
 * open alert instead of one per line.
 */
export const threshold = defineDetector({
  name: 'threshold',
  summary: 'a number of events (or of distinct values) for one address, network, user or session, or in all, within a time window',
  events: EVENT_TYPES,
  requiredEvents: [],
  params,
  describe: (p) =>
    `${p.threshold} ${p.distinct === null ? 'events' : `distinct ${p.distinct} values`} ${p.groupBy === 'all' ? 'in all' : `for one ${GROUP_WORDS[p.groupBy]}`} within ${formatDuration(p.window)}` +
    (p.spread === null ? '' : ` from at least ${p.spread.atLeast} distinct ${p.spread.field} values`) +
    (Object.keys(p.where).length ? ` where ${Object.entries(p.where).map(([k, v]) => `${k} ~ ${(v as string[]).join('|')}`).join(', ')}` : ''),
  create: (p: Params, ctx) => {
    const shape = windowShape(p.threshold, p.window);
    const state = ctx.table(`windows`, windowCodec(p.window, shape));
    const filters = Object.entries(p.where).map(([field, patterns]) => {
      const ms = (patterns as string[]).map(textGlob);
      return { field: field as keyof Params['where'], test: (s: string | null) => s !== null && ms.some((m) => m(s)) };
    });
    const value = (e: LogEvent, field: string): string | null => {
      switch (field) {
        case 'url':
          return e.url();
        case 'app':
          return e.app();
        case 'message':
          return e.message();
        case 'level':
          return e.level();
        default:
          return e.dn?.dn ?? null;
      }
    };
    return {
      check(e, _user, trace): Finding | null {
        for (const f of filters) {
          if (!f.test(value(e, f.field))) {
            trace?.(`${f.field} does not match ${JSON.stringify(p.where[f.field])}`);
            return null;
          }
        }
        const key = groupKey(e, p.groupBy);
        if (key === null) {
          trace?.(`the line has no ${GROUP_WORDS[p.groupBy]} to count per`);
          return null;
        }
        let w = state.get(key);
        if (w === undefined) {
          w = new Window(shape);
          state.set(key, w);
        } else if (!w.empty && e.ts < w.lastTime - p.window) {
          // Older than the window this key is at (lines read again, or a log far out of order): it belongs to none counted now.
          trace?.(`the line is older than the last ${formatDuration(p.window)} of the events for ${windowOf(p.groupBy, key)}: not counted`);
          return null;
        }
        // Forget what fell out of the window (a window includes its boundary).
        const hadEvents = !w.empty;
        w.slide(e.ts - p.window);
        if (hadEvents && w.empty) {
          // All of it fell out: start afresh, exactly as if a commit's sweep had dropped it.
          w = new Window(shape);
          state.set(key, w);
        }
        w.add(e.ts, p.distinct === null ? null : fieldValue(e, p.distinct), p.spread === null ? null : fieldValue(e, p.spread.field));
        if (w.evidence.length < ctx.maxEvidence) w.evidence = appended(w.evidence, evidenceOf(e));
        w.lastIp = e.address?.ip ?? null;
        w.lastCountry = e.address?.country ?? null;
        if (e.dn !== null && isUserDn(e.dn.dn)) {
          w.lastDn = e.dn.dn;
          w.lastDnSha1 = e.dn.sha1;
        }
        state.touch(key);
        const n = p.distinct === null ? w.size : w.distinctValues;
        if (n < p.threshold) {
          trace?.(`${n} of the ${p.threshold} ${p.distinct === null ? what(e, p) : `distinct ${p.distinct} values`} that make a burst, for ${windowOf(p.groupBy, key)} within the last ${formatDuration(p.window)} (this one included)`);
          return null;
        }
        const spread = p.spread === null ? 0 : w.spreadValues;
        if (p.spread !== null && spread < p.spread.atLeast) {
          trace?.(`${n} ${p.distinct === null ? what(e, p) : `distinct ${p.distinct} values`} within ${formatDuration(p.window)}, but from ${spread} distinct ${p.spread.field} values (a spread needs ${p.spread.atLeast})`);
          return null;
        }
        return burst(e, key, w, n, spread, p, state);
      },
    };
  },
});

/** What the rule counts, in words. */
function what(e: LogEvent, p: Params): string {
  return p.what ?? `${e.typeName} events`;
}

/**
 * The finding: the window of `key` reached the threshold with `e`. The window is let go (a new
 * burst starts from zero). (Outside check(): see seenAt in session-moved.ts.)
 */
function burst(e: LogEvent, key: string, w: Window, n: number, spread: number, p: Params, state: StateTable<Window>): Finding {
  const total = w.size;
  const span = w.lastTime - w.firstTime;
  const evidence = w.evidence.slice();
  const last = evidenceOf(e);
  if (!evidence.some((x) => x.source === last.source)) evidence.push(last);
  // The window's last event is this one: its URL is read now, not kept for every event counted.
  const snap = { ...w, lastUrl: e.url() };
  state.delete(key);
  const keyedOnDn = p.groupBy === 'dn' || p.groupBy === 'session';
  // A burst of `all` names no address: the alert is one for the whole log (its incident takes the last one's network).
  const ip = p.groupBy === 'net' ? key : p.groupBy === 'all' ? null : snap.lastIp;
  return {
    dn: keyedOnDn ? snap.lastDn : null,
    dnSha1: keyedOnDn ? snap.lastDnSha1 : null,
    ip,
    country: p.groupBy === 'all' ? null : snap.lastCountry,
    evidenceTotal: Math.max(total, evidence.length),
    reason() {
      const subject =
        p.groupBy === 'dn'
          ? `for ${key}`
          : p.groupBy === 'session'
            ? `in session ${key}${snap.lastDn ? ` of ${snap.lastDn}` : ''}`
            : p.groupBy === 'all'
              ? `in all`
              : `from ${p.groupBy === 'net' ? `network ${key}` : where(key, snap.lastCountry)}`;
      const counted = p.distinct === null ? `${int(total)} ${what(e, p)}` : `${int(n)} distinct ${p.distinct} values in ${int(total)} ${what(e, p)}`;
      const spreadText = p.spread === null ? '' : ` (${int(spread)} distinct ${p.spread.field === 'ip' ? 'addresses' : p.spread.field === 'net' ? 'networks' : `${p.spread.field} values`})`;
      return (
        `${counted} ${subject}${spreadText} within ${formatDuration(span)} (rule: ${p.threshold} within ${formatDuration(p.window)})` +
        (snap.lastUrl ? `, the last at ${snap.lastUrl}` : '') +
        (e.typeName === 'AuFail' && !keyedOnDn ? '; OpenUnison does not log which user was tried.' : '.')
      );
    },
    evidence: () => evidence,
  };
}
