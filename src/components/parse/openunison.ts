import type { EventType, LineKind } from '../../core/events.js';
import { Event } from '../../core/events.js';
import { LogClock } from './time.js';

/**
 * OpenUnison's log4j2 layout is `[%d][%t] %-5p %c{1} - %m%n`. This parser reads that header,
 * then the message of the three classes that carry security events:
 *   AccessLog           `[<Event>] - <app> - <url> - <dn> - <msg> [<ip>] - [<sessionId>]`
 *   OpenIDConnectIdP    `[ExpiredRefreshTokenUsed] - <url> - <dn> - <msg> [<ip>] - [<sessionId>]`
 *                       and WARN lines about failed refreshes (kept with their thread)
 *   SessionManagerImpl  `Logging out user '<dn>'`
 * It works with indexOf, not regular expressions, and `scan` records positions rather than
 * slicing strings: it runs on every line, and most lines are not events.
 */

const EXPIRED_PREFIX = '[ExpiredRefreshTokenUsed] - ';
const LOGOUT_PREFIX = "Logging out user '";
/** The fixed message texts, used to split a DN that itself contains ` - `. */
const FIXED_TEXT: Partial<Record<EventType, string>> = {
  ExpiredRefreshTokenUsed: ' - Expired token used within grace period',
  NotFound: ' - Resource Not Found',
};
const BINARY = /[\x00-\x08\x0E-\x1F\x7F\uFFFD]/;
const NONE = -1;

/**
 * Where each field of the last scanned event is in its line: `xAt`..`xEnd` (end exclusive),
 * `NONE` for a field the event does not have (the JSON contract's null).
 */
export class LineFields {
  type: EventType = 'AzSuccess';
  ts = 0;
  threadAt = 0;
  threadEnd = 0;
  levelAt = 0;
  levelEnd = 0;
  loggerAt = 0;
  loggerEnd = 0;
  dnAt = NONE;
  dnEnd = NONE;
  ipAt = NONE;
  ipEnd = NONE;
  urlAt = NONE;
  urlEnd = NONE;
  appAt = NONE;
  appEnd = NONE;
  sessionAt = NONE;
  sessionEnd = NONE;
  messageAt = 0;
  messageEnd = 0;
}

export class OpenUnisonParser {
  /** Positions of the last event `scan` found. */
  readonly fields = new LineFields();
  /** Log time of the last line with a valid header, event or not (NaN before the first). */
  lastTime = Number.NaN;

  constructor(private readonly clock: LogClock = new LogClock()) {}

  /** One log line (already unwrapped from docker/CRI) -> an Event, or why it is not one. */
  parse(line: string, origin: string, lineNo: number): Event | LineKind {
    const kind = this.scan(line);
    return kind === null ? toEvent(line, this.fields, origin, lineNo) : kind;
  }

  /** Null when the line is an event (its positions are in `fields`), otherwise what it is. */
  scan(line: string): LineKind | null {
    // Header: `[yyyy-MM-dd HH:mm:ss,SSS][thread] LEVEL Logger - message`
    if (line.charCodeAt(0) !== 91 /* [ */) return classifyNonHeader(line);
    const d = line.charCodeAt(1) - 48;
    if (d < 0 || d > 9) return classifyNonHeader(line);
    if (line.charCodeAt(24) !== 93 /* ] */ || line.charCodeAt(25) !== 91 /* [ */) return 'malformed';
    const ts = this.clock.epochAt(line, 1);
    if (ts !== ts) return 'malformed'; // NaN
    this.lastTime = ts;
    const threadEnd = line.indexOf('] ', 26);
    if (threadEnd < 0) return 'malformed';
    const levelAt = threadEnd + 2;
    const levelEnd = line.indexOf(' ', levelAt);
    if (levelEnd < 0) return 'malformed';
    let p = levelEnd;
    while (line.charCodeAt(p) === 32) p++;
    let loggerEnd = line.indexOf(' - ', p);
    let msgStart = loggerEnd + 3;
    if (loggerEnd < 0) {
      if (!line.endsWith(' -')) return 'other';
      loggerEnd = line.length - 2; // empty message, trailing space trimmed
      msgStart = line.length;
    }
    // Dispatch on the simple class name (`%c{1}`, or the last part of `%c`).
    let nameAt = loggerEnd;
    while (nameAt > p && line.charCodeAt(nameAt - 1) !== 46 /* . */) nameAt--;
    const nameLen = loggerEnd - nameAt;
    const f = this.fields;
    f.ts = ts;
    f.threadAt = 26;
    f.threadEnd = threadEnd;
    f.levelAt = levelAt;
    f.levelEnd = levelEnd;
    f.loggerAt = p;
    f.loggerEnd = loggerEnd;
    if (nameLen === 9 && line.startsWith('AccessLog', nameAt)) {
      if (line.charCodeAt(msgStart) !== 91) return 'other'; // MyVD's SRCH/RESULT lines share the name
      return this.access(line, msgStart);
    }
    if (nameLen === 16 && line.startsWith('OpenIDConnectIdP', nameAt)) {
      if (line.startsWith(EXPIRED_PREFIX, msgStart)) return this.expired(line, msgStart);
      if (levelEnd - levelAt !== 4 || !line.startsWith('WARN', levelAt)) return 'other';
      return this.plain('IdpWarning', line, msgStart, NONE, NONE);
    }
    if (nameLen === 18 && line.startsWith('SessionManagerImpl', nameAt) && line.startsWith(LOGOUT_PREFIX, msgStart)) {
      const close = line.lastIndexOf("'");
      if (close < msgStart + LOGOUT_PREFIX.length) return 'malformed';
      return this.plain('Logout', line, msgStart, msgStart + LOGOUT_PREFIX.length, close);
    }
    return 'other';
  }

  private access(line: string, at: number): LineKind | null {
    const close = line.indexOf('] - ', at);
    if (close < 0) {
      // Cut after (or inside) the event word: `[AzSucc`, `[AzSuccess]`, `[AzSuccess] -`.
      const end = line.indexOf(']', at);
      if (end < 0) return isWord(line, at + 1, line.length) ? 'malformed' : 'other';
      return accessWord(line, at + 1, end - at - 1) !== null ? 'malformed' : 'other';
    }
    const type = accessWord(line, at + 1, close - at - 1);
    if (type === null) return isWord(line, at + 1, close) ? 'unknown-word' : 'other';
    if (type === 'ExpiredRefreshTokenUsed') return this.expired(line, at);
    const bodyEnd = this.tail(line, close + 4);
    if (bodyEnd < 0) return 'malformed';
    // body: `<app> - <url> - <dn> - <msg>`
    const appEnd = line.indexOf(' - ', close + 4);
    if (appEnd < 0 || appEnd >= bodyEnd) return 'malformed';
    const urlEnd = line.indexOf(' - ', appEnd + 3);
    if (urlEnd < 0 || urlEnd >= bodyEnd) return 'malformed';
    const split = splitDn(line, urlEnd + 3, bodyEnd, FIXED_TEXT[type]);
    if (split < 0) return 'malformed';
    const f = this.fields;
    f.type = type;
    f.appAt = close + 4;
    f.appEnd = appEnd;
    f.urlAt = appEnd + 3;
    f.urlEnd = urlEnd;
    f.dnAt = urlEnd + 3;
    f.dnEnd = split;
    f.messageAt = split + 3;
    f.messageEnd = bodyEnd;
    return null;
  }

  private expired(line: string, at: number): LineKind | null {
    const bodyStart = at + EXPIRED_PREFIX.length;
    const bodyEnd = this.tail(line, bodyStart);
    if (bodyEnd < 0) return 'malformed';
    // body: `<url> - <dn> - <msg>` (no application field)
    const urlEnd = line.indexOf(' - ', bodyStart);
    if (urlEnd < 0 || urlEnd >= bodyEnd) return 'malformed';
    const split = splitDn(line, urlEnd + 3, bodyEnd, FIXED_TEXT.ExpiredRefreshTokenUsed);
    if (split < 0) return 'malformed';
    const f = this.fields;
    f.type = 'ExpiredRefreshTokenUsed';
    f.appAt = f.appEnd = NONE;
    f.urlAt = bodyStart;
    f.urlEnd = urlEnd;
    f.dnAt = urlEnd + 3;
    f.dnEnd = split;
    f.messageAt = split + 3;
    f.messageEnd = bodyEnd;
    return null;
  }

  /** An event without the access-line fields: the whole message, maybe a DN inside it. */
  private plain(type: EventType, line: string, msgStart: number, dnAt: number, dnEnd: number): null {
    const f = this.fields;
    f.type = type;
    f.dnAt = dnAt;
    f.dnEnd = dnEnd;
    f.ipAt = f.ipEnd = f.urlAt = f.urlEnd = f.appAt = f.appEnd = f.sessionAt = f.sessionEnd = NONE;
    f.messageAt = msgStart;
    f.messageEnd = line.length;
    return null;
  }

  /**
   * Reads ` [<ip>] - [<sessionId>]` from the right end (the free-text message before it may
   * contain anything, including ` - ` and brackets). Returns where the body (…<msg>) ends,
   * or -1 when the tail is not there.
   */
  private tail(line: string, bodyStart: number): number {
    const len = line.length;
    if (line.charCodeAt(len - 1) !== 93) return -1;
    const sidOpen = line.lastIndexOf(' - [', len - 2);
    if (sidOpen < bodyStart || line.charCodeAt(sidOpen - 1) !== 93) return -1;
    const ipOpen = line.lastIndexOf('[', sidOpen - 2);
    if (ipOpen <= bodyStart || line.charCodeAt(ipOpen - 1) !== 32) return -1;
    const f = this.fields;
    if (ipOpen + 1 === sidOpen - 1) f.ipAt = f.ipEnd = NONE;
    else {
      f.ipAt = ipOpen + 1;
      f.ipEnd = sidOpen - 1;
    }
    const sidAt = sidOpen + 4;
    const sidLen = len - 1 - sidAt;
    if (sidLen === 0 || (sidLen === 4 && line.startsWith('null', sidAt))) f.sessionAt = f.sessionEnd = NONE;
    else {
      f.sessionAt = sidAt;
      f.sessionEnd = len - 1;
    }
    return ipOpen - 1;
  }
}

/** Builds the Event from a scanned line's positions. */
export function toEvent(line: string, f: LineFields, origin: string, lineNo: number): Event {
  return new Event(
    f.ts,
    f.type,
    f.dnAt === NONE ? null : line.slice(f.dnAt, f.dnEnd),
    f.ipAt === NONE ? null : line.slice(f.ipAt, f.ipEnd),
    f.urlAt === NONE ? null : line.slice(f.urlAt, f.urlEnd),
    f.appAt === NONE ? null : line.slice(f.appAt, f.appEnd),
    f.sessionAt === NONE ? null : line.slice(f.sessionAt, f.sessionEnd),
    line.slice(f.messageAt, f.messageEnd),
    levelOf(line, f.levelAt, f.levelEnd),
    loggerOf(line, f.loggerAt, f.loggerEnd),
    line.slice(f.threadAt, f.threadEnd),
    origin,
    lineNo,
    line,
  );
}

/**
 * `<dn> - <msg>` between `from` and `to`: returns the index of the separating ` - `.
 * A DN may itself contain ` - ` (`cn=Ops - Team,o=X`), so the separator is the first one
 * after which no `=` follows (messages are chain, level and group names, never attributes);
 * a fixed message text, when the event has one, is matched exactly.
 */
function splitDn(line: string, from: number, to: number, fixed: string | undefined): number {
  if (fixed !== undefined && to - from >= fixed.length && line.startsWith(fixed, to - fixed.length)) return to - fixed.length;
  let first = -1;
  let i = line.indexOf(' - ', from);
  while (i >= 0 && i + 3 <= to) {
    if (first < 0) first = i;
    const eq = line.indexOf('=', i + 3);
    if (eq < 0 || eq >= to) return i;
    i = line.indexOf(' - ', i + 3);
  }
  if (first >= 0) return first;
  // `<dn> -` with an empty message right before the ip: ` - ` overlaps the body end.
  if (to - from >= 2 && line.charCodeAt(to - 1) === 45 && line.charCodeAt(to - 2) === 32) return to - 2;
  return -1;
}

/** The bracketed word of an access line, or null when it is not one OpenUnison writes. */
function accessWord(line: string, at: number, len: number): EventType | null {
  switch (len) {
    case 9:
      if (line.startsWith('AzSuccess', at)) return 'AzSuccess';
      if (line.startsWith('AuSuccess', at)) return 'AuSuccess';
      return null;
    case 6:
      if (line.startsWith('AzFail', at)) return 'AzFail';
      if (line.startsWith('AuFail', at)) return 'AuFail';
      return null;
    case 8:
      return line.startsWith('NotFound', at) ? 'NotFound' : null;
    case 5:
      return line.startsWith('Error', at) ? 'Error' : null;
    case 23:
      return line.startsWith('ExpiredRefreshTokenUsed', at) ? 'ExpiredRefreshTokenUsed' : null;
    default:
      return null;
  }
}

/** The usual levels and class names as shared constants (no allocation per event). */
export function levelOf(line: string, at: number, end: number): string {
  const len = end - at;
  if (len === 4) {
    if (line.startsWith('INFO', at)) return 'INFO';
    if (line.startsWith('WARN', at)) return 'WARN';
  } else if (len === 5) {
    if (line.startsWith('ERROR', at)) return 'ERROR';
    if (line.startsWith('DEBUG', at)) return 'DEBUG';
  }
  return line.slice(at, end);
}

export function loggerOf(line: string, at: number, end: number): string {
  switch (end - at) {
    case 9:
      if (line.startsWith('AccessLog', at)) return 'AccessLog';
      break;
    case 16:
      if (line.startsWith('OpenIDConnectIdP', at)) return 'OpenIDConnectIdP';
      break;
    case 18:
      if (line.startsWith('SessionManagerImpl', at)) return 'SessionManagerImpl';
      break;
  }
  return line.slice(at, end);
}

function classifyNonHeader(line: string): LineKind {
  return BINARY.test(line) ? 'binary' : 'continuation';
}

function isWord(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}
