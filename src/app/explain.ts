import type { EventJson, GeoInfo, LineKind } from '../core/events.js';
import { isUserDn, toEventJson } from '../core/events.js';
import { EventEnricher } from '../components/enrich/enricher.js';
import { OpenUnisonParser } from '../components/parse/openunison.js';
import { LogClock } from '../components/parse/time.js';
import type { Db } from '../store/sqlite/database.js';
import { HistoryStore } from '../store/sqlite/history.js';
import { DetectionEngine, type RuleVerdict } from '../components/detect/engine.js';
import { iso } from '../components/detect/format.js';
import type { Rule } from '../components/detect/rules.js';

/** What `ouwatch explain` reports about one line. */
export interface Explanation {
  line: string;
  source: string;
  /** Why the line is not an event (null when it is one). */
  notAnEvent: { kind: LineKind; meaning: string } | null;
  event: EventJson | null;
  geo: GeoInfo | null;
  /** The user's history in the db before this line (null for non-users and unknown DNs). */
  user: {
    successCount: number;
    firstSuccess: string | null;
    lastSuccess: string | null;
    addresses: number;
    countries: string[];
    thisAddress: { firstSeen: string; successCount: number; count: number } | null;
  } | null;
  verdicts: RuleVerdict[];
}

const KIND_MEANING: Record<LineKind, string> = {
  other: 'not a security event: another class, a MyVD SRCH/RESULT line, or a message ouwatch does not read',
  continuation: 'a continuation line (stack trace or multi-line message): it belongs to the line before it',
  malformed: 'looks like an OpenUnison line but its fields cannot be read: counted as malformed and skipped',
  binary: 'binary data: counted and skipped',
  oversized: 'longer than the line limit: counted and skipped',
  'unknown-word': 'an access line with an event word OpenUnison does not write: counted and skipped',
  truncated: 'an unterminated last line: read again when it is completed',
};

/**
 * Parses one line and asks every rule how it judges it against the state in `db` (user
 * history, detector windows, open alerts), without writing anything: the engine and history
 * built here are thrown away.
 */
export function explainLine(db: Db, rules: Rule[], line: string, origin: string, lineNo: number, timeZone: string): Explanation {
  const parser = new OpenUnisonParser(new LogClock(timeZone));
  const parsed = parser.parse(line, origin, lineNo);
  const source = `${origin}:${lineNo}`;
  if (typeof parsed === 'string') {
    return { line, source, notAnEvent: { kind: parsed, meaning: KIND_MEANING[parsed] }, event: null, geo: null, user: null, verdicts: [] };
  }
  new EventEnricher().enrich(parsed);
  const history = new HistoryStore(db);
  const engine = new DetectionEngine(db, rules);
  let user: Explanation['user'] = null;
  if (isUserDn(parsed.dn)) {
    const u = history.user(parsed.dn);
    if (u !== null) {
      const here = parsed.ip === null ? undefined : u.ips.get(parsed.ip);
      user = {
        successCount: u.successCount,
        firstSuccess: u.firstSuccess === null ? null : iso(u.firstSuccess),
        lastSuccess: u.lastSuccess === null ? null : iso(u.lastSuccess),
        addresses: u.ips.size,
        countries: [...u.countries.keys()].sort(),
        thisAddress: here === undefined ? null : { firstSeen: iso(here.firstSeen), successCount: here.successCount, count: here.count },
      };
    }
  }
  const verdicts = engine.explain(parsed, history);
  return { line, source, notAnEvent: null, event: toEventJson(parsed), geo: parsed.geo, user, verdicts };
}
