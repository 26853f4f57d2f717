import type { Config } from './config.js';
import { networkOfText } from '../components/enrich/address-info.js';
import { loadConfiguredRules } from './runtime.js';
import { EVENT_CODE, isUserDn, kindName, type EventJson, type LineKind } from '../core/events.js';
import { eventJson } from '../core/log-event.js';
import { DetectionEngine } from '../components/detect/engine.js';
import type { RuleVerdict } from '../components/detect/explain.js';
import { iso } from '../components/detect/format.js';
import { History } from '../components/history/history.js';
import { loadOrganisation } from './organisation.js';
import { parseInline } from '../pipeline/inline.js';
import { openDatabase } from '../store/sqlite/database.js';
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js';
import { openPostgres } from '../store/postgres/database.js';
import { PgPipelineStore } from '../store/postgres/pipeline-store.js';
import type { PipelineStore } from '../core/ports.js';
import { storeLocation } from './store-location.js';
import { ArchiveInput } from '../components/sources/files/archive-input.js';
import { checkInputPaths } from '../components/sources/files/replay-inputs.js';
import { RecordDecoder } from '../components/decode/record-decoder.js';
import { foreignLayoutIn } from '../components/parse/foreign-layout.js';
import type { InputChannel } from '../core/inputs.js';

/** What `ouwatch explain` reports about one line. */
export interface Explanation {
  line: string;
  source: string;
  /** Why the line is not an event (null when it is one). */
  notAnEvent: { kind: LineKind; meaning: string } | null;
  event: EventJson | null;
  /** What offline data says about its address. */
  address: { public: boolean; network: string | null; country: string | null; radiusKm: number | null; asn: number | null; asOrg: string | null } | null;
  /** The user's history in the db before this line (null for non-users and unknown DNs). */
  user: {
    successCount: number;
    firstSuccess: string | null;
    lastSuccess: string | null;
    addresses: number;
    learntNetworks: string[];
    countries: string[];
    thisAddress: { firstSeen: string; successCount: number; count: number; learnt: boolean; quarantinedBy: string | null } | null;
  } | null;
  verdicts: RuleVerdict[];
  /** Set when --file names a line the db has already processed. */
  note: string | null;
}

const KIND_MEANING: Record<LineKind, string> = {
  other: 'not a security event: another class, a MyVD SRCH/RESULT line, or a message ouwatch does not read',
  continuation: 'a continuation line (stack trace or multi-line message): it belongs to the line before it',
  malformed: 'looks like an OpenUnison line but its fields cannot be read (or its date or address is impossible): counted as malformed and skipped',
  binary: 'binary data: counted and skipped',
  oversized: 'longer than the line limit: counted and skipped',
  'unknown-word': 'an access line with an event word OpenUnison does not write: counted and skipped',
  truncated: 'an unterminated last line: read again when it is completed',
};

/**
 * Parses one line and asks every rule how it judges it against the state of the store (the
 * user's history, detector windows, open alerts and incidents), without writing anything:
 * the store is opened read-only, and the history and engine built here are thrown away.
 */
export async function explainLine(config: Config, line: string, origin: string, lineNo: number): Promise<Explanation> {
  const rules = loadConfiguredRules(config);
  const source = `${origin}:${lineNo}`;
  const { batch, events } = parseInline(Buffer.from(line + '\n'), { timeZone: config.parse.timeZone, networkBits: config.detect.networks, origin, startLineNo: lineNo - 1 });
  if (events.length === 0) {
    let kind: LineKind = 'other';
    for (let k = 1; k < batch.kinds.length; k++) if (batch.kinds[k] > 0 && k !== EVENT_CODE) kind = kindName(k);
    // OpenUnison's line in another layout reads as a continuation or a malformed line: say what it is.
    const foreign = foreignLayoutIn(line);
    const meaning =
      foreign === null
        ? KIND_MEANING[kind]
        : `OpenUnison's ${foreign.word} line in a layout ouwatch does not read (no "[yyyy-MM-dd HH:mm:ss,SSS][thread]" header before its event word; a custom log4j2.xml? docs/openunison.md)`;
    return { line, source, notAnEvent: { kind, meaning }, event: null, address: null, user: null, verdicts: [], note: null };
  }
  const e = events[0];
  const { store, close } = await openReader(config);
  try {
    const organisation = await loadOrganisation(store, config.detect);
    const engine = new DetectionEngine(rules, config.detect, organisation);
    await engine.loadFrom(store);
    const history = new History(store, (ip) => networkOfText(ip, config.detect.networks), organisation);
    if (e.dn !== null) await history.prepare([e.dnId, e.dn.dn]);
    const user = e.dn !== null && isUserDn(e.dn.dn) ? history.userOf(e) : null;
    let u: Explanation['user'] = null;
    if (user !== null && (user.successCount > 0 || user.addresses.size > 0)) {
      const here = e.address === null ? undefined : user.addresses.get(e.address.ip);
      u = {
        successCount: user.successCount,
        firstSuccess: user.firstSuccess === null ? null : iso(user.firstSuccess),
        lastSuccess: user.lastSuccess === null ? null : iso(user.lastSuccess),
        addresses: user.addresses.size,
        learntNetworks: user.nets(),
        countries: user.countries().sort(),
        thisAddress:
          here === undefined ? null : { firstSeen: iso(here.firstSeen), successCount: here.successCount, count: here.count, learnt: here.learnt, quarantinedBy: here.quarantinedBy },
      };
    }
    const a = e.address;
    return {
      line,
      source,
      notAnEvent: null,
      event: eventJson(e),
      address: a === null ? null : { public: a.public, network: a.net, country: a.country, radiusKm: a.radiusKm, asn: a.asn, asOrg: a.asOrg },
      user: u,
      verdicts: engine.explain(e, user),
      note: null,
    };
  } finally {
    await close();
  }
}

/** Whether the store has processed line `lineNo` of the log with this fingerprint. */
export async function alreadyProcessed(config: Config, fingerprint: string, lineNo: number): Promise<number | null> {
  const { store, close } = await openReader(config);
  try {
    const cp = await store.checkpoint(fingerprint);
    return cp !== null && cp.lineNo >= lineNo ? cp.lineNo : null;
  } finally {
    await close();
  }
}

/** The configured store opened read-only, as the pipeline reads it. */
async function openReader(config: Config): Promise<{ store: PipelineStore; close(): Promise<void> }> {
  const loc = storeLocation(config);
  if (loc.kind === 'postgres') {
    const pg = await openPostgres(loc.pg, 'read');
    return { store: new PgPipelineStore(pg.pool, null, ''), close: () => pg.close() };
  }
  const db = openDatabase(loc.path, { readonly: true });
  return {
    store: new SqlitePipelineStore(db),
    close: async () => {
      db.close();
    },
  };
}

/** The decoded record ending at (or first after) physical line `n` of a log, as text (lines rebuilt from JSON events in `timeZone`). */
export async function readRecordAt(path: string, n: number, timeZone = 'UTC'): Promise<{ text: string; lineNo: number; fingerprint: string | null } | { problem: string }> {
  await checkInputPaths([path]);
  const input = new ArchiveInput(path);
  let found: { text: string; lineNo: number } | { problem: string } | null = null;
  const decoder = new RecordDecoder({
    record: (buf, start, end, _resume, lineNo) => {
      if (found === null && lineNo >= n) found = { text: buf.toString('utf8', start, end), lineNo };
    },
    skip: (kind, _resume, lineNo) => {
      if (found === null && lineNo >= n && kind !== 'continuation' && kind !== 'other') found = { problem: `line ${n} of ${path} cannot be read (${kind})` };
    },
  }, 0, 0, undefined, null, timeZone);
  try {
    await input.identify(null);
    const channel: InputChannel = {
      committed: null,
      full: false,
      done: false,
      settled: true,
      push: (chunk: Buffer) => decoder.write(chunk),
      unread: () => {},
      ready: async () => found === null,
      end: () => void decoder.end(),
      abandon: () => {},
      current: () => ({ offset: decoder.offset, lineNo: decoder.lineNo, tailHash: null, hashOffset: 0, stamp: null }),
      received: () => null,
    };
    await input.pump(channel);
  } finally {
    input.close();
  }
  const f = found as { text: string; lineNo: number } | { problem: string } | null;
  if (f === null) return { problem: `${path} has fewer than ${n} lines` };
  if ('problem' in f) return f;
  return { ...f, fingerprint: input.fingerprint };
}

export type { RuleVerdict };
