import { isUtf8 } from 'node:buffer';
import { EVENT_CODE, KIND, TYPE } from '../../core/events.js';
import { ByteClock } from './byte-clock.js';
import { indexOf, lastIndexOf, startsWith } from './byte-search.js';

/**
 * OpenUnison's log4j2 layout is `[%d][%t] %-5p %c{1} - %m%n`. The scanner reads that header,
 * then the message of the three classes that carry security events:
 *   AccessLog           `[<Event>] - <app> - <url> - <dn> - <msg> [<ip>] - [<sessionId>]`
 *   OpenIDConnectIdP    `[ExpiredRefreshTokenUsed] - <url> - <dn> - <msg> [<ip>] - [<sessionId>]`
 *                       and WARN lines about failed refreshes (kept with their thread)
 *   SessionManagerImpl  `Logging out user '<dn>'`
 * It works on bytes and records field positions: no string is made for a line, and most
 * lines are not events. `scan` returns EVENT_CODE (the positions are in `fields`) or the
 * code of what the line is instead (KIND.other, KIND.continuation, a skip reason).
 */

const NONE = -1;

/** Where each field of the last scanned event is, as [at, end) byte ranges; NONE = absent. */
export class ByteFields {
  type = 0;
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

const b = (s: string) => Buffer.from(s, 'latin1');
const ACCESS_LOG = b('AccessLog');
const IDP = b('OpenIDConnectIdP');
const SESSION_MANAGER = b('SessionManagerImpl');
const EXPIRED_PREFIX = b('[ExpiredRefreshTokenUsed] - ');
const LOGOUT_PREFIX = b("Logging out user '");
const WARN = b('WARN');
const SEP = b(' - ');
const EXPIRED_TEXT = b(' - Expired token used within grace period');
const NOT_FOUND_TEXT = b(' - Resource Not Found');
const WORDS: Array<[Buffer, number]> = [
  [b('AzSuccess'), TYPE.AzSuccess],
  [b('AuSuccess'), TYPE.AuSuccess],
  [b('AzFail'), TYPE.AzFail],
  [b('AuFail'), TYPE.AuFail],
  [b('NotFound'), TYPE.NotFound],
  [b('Error'), TYPE.Error],
  [b('ExpiredRefreshTokenUsed'), TYPE.ExpiredRefreshTokenUsed],
];

export class OpenUnisonScanner {
  readonly fields = new ByteFields();
  /** Log time of the last line with a valid header, event or not (NaN before the first). */
  lastTime = Number.NaN;
  private readonly clock: ByteClock;

  constructor(timeZone = 'UTC') {
    this.clock = new ByteClock(timeZone);
  }

  scan(buf: Buffer, start: number, end: number): number {
    if (end - start < 2 || buf[start] !== 91 /* [ */) return classifyNonHeader(buf, start, end);
    const d = buf[start + 1] - 48;
    if (d < 0 || d > 9) return classifyNonHeader(buf, start, end);
    // `[` and a digit start a header: one cut short (`[2022-12-24 00:34:56,424]`) is malformed.
    const ts = this.clock.epochAt(buf, start + 1, end);
    if (ts !== ts) return KIND.malformed;
    const threadAt = start + 3 + this.clock.length;
    if (threadAt > end || buf[threadAt - 2] !== 93 /* ] */ || buf[threadAt - 1] !== 91 /* [ */) return KIND.malformed;
    this.lastTime = ts;
    // thread: up to the first `] ` (a thread name may contain spaces)
    let threadEnd = threadAt;
    while (threadEnd < end && !(buf[threadEnd] === 93 && buf[threadEnd + 1] === 32)) threadEnd++;
    if (threadEnd >= end) return KIND.malformed;
    const levelAt = threadEnd + 2;
    let levelEnd = levelAt;
    while (levelEnd < end && buf[levelEnd] !== 32) levelEnd++;
    if (levelEnd >= end) return KIND.malformed;
    let p = levelEnd;
    while (p < end && buf[p] === 32) p++;
    let loggerEnd = indexOf(buf, SEP, p, end);
    let msgStart = loggerEnd + 3;
    if (loggerEnd < 0) {
      if (!(end - p >= 2 && buf[end - 1] === 45 && buf[end - 2] === 32)) return KIND.other;
      loggerEnd = end - 2; // empty message, trailing space trimmed
      msgStart = end;
    }
    // Dispatch on the simple class name (`%c{1}`, or the last part of `%c`).
    let nameAt = loggerEnd;
    while (nameAt > p && buf[nameAt - 1] !== 46 /* . */) nameAt--;
    const nameLen = loggerEnd - nameAt;
    const f = this.fields;
    f.ts = ts;
    f.threadAt = threadAt;
    f.threadEnd = threadEnd;
    f.levelAt = levelAt;
    f.levelEnd = levelEnd;
    f.loggerAt = p;
    f.loggerEnd = loggerEnd;
    if (nameLen === 9 && startsWith(buf, nameAt, end, ACCESS_LOG)) {
      if (buf[msgStart] !== 91) return KIND.other; // MyVD's SRCH/RESULT lines share the name
      return this.access(buf, msgStart, end);
    }
    if (nameLen === 16 && startsWith(buf, nameAt, end, IDP)) {
      if (startsWith(buf, msgStart, end, EXPIRED_PREFIX)) return this.expired(buf, msgStart, end);
      if (levelEnd - levelAt !== 4 || !startsWith(buf, levelAt, end, WARN)) return KIND.other;
      return this.plain(TYPE.IdpWarning, msgStart, end, NONE, NONE);
    }
    if (nameLen === 18 && startsWith(buf, nameAt, end, SESSION_MANAGER) && startsWith(buf, msgStart, end, LOGOUT_PREFIX)) {
      let close = end - 1;
      while (close >= msgStart && buf[close] !== 39) close--;
      if (close < msgStart + LOGOUT_PREFIX.length) return KIND.malformed;
      return this.plain(TYPE.Logout, msgStart, end, msgStart + LOGOUT_PREFIX.length, close);
    }
    return KIND.other;
  }

  private access(buf: Buffer, at: number, end: number): number {
    const close = indexOf(buf, CLOSE_SEP, at, end, 0);
    if (close < 0) {
      // Cut after (or inside) the event word: `[AzSucc`, `[AzSuccess]`, `[AzSuccess] -`.
      let wordEnd = at;
      while (wordEnd < end && buf[wordEnd] !== 93) wordEnd++;
      if (wordEnd >= end) return isWord(buf, at + 1, end) ? KIND.malformed : KIND.other;
      return accessWord(buf, at + 1, wordEnd) >= 0 ? KIND.malformed : KIND.other;
    }
    const type = accessWord(buf, at + 1, close);
    if (type < 0) return isWord(buf, at + 1, close) ? KIND['unknown-word'] : KIND.other;
    if (type === TYPE.ExpiredRefreshTokenUsed) return this.expired(buf, at, end);
    const bodyEnd = this.tail(buf, close + 4, end);
    if (bodyEnd < 0) return KIND.malformed;
    // body: `<app> - <url> - <dn> - <msg>`
    const appEnd = indexOf(buf, SEP, close + 4, end);
    if (appEnd < 0 || appEnd >= bodyEnd) return KIND.malformed;
    const urlEnd = indexOf(buf, SEP, appEnd + 3, end);
    if (urlEnd < 0 || urlEnd >= bodyEnd) return KIND.malformed;
    const split = splitDn(buf, urlEnd + 3, bodyEnd, type === TYPE.NotFound ? NOT_FOUND_TEXT : null);
    if (split < 0) return KIND.malformed;
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
    return EVENT_CODE;
  }

  private expired(buf: Buffer, at: number, end: number): number {
    const bodyStart = at + EXPIRED_PREFIX.length;
    const bodyEnd = this.tail(buf, bodyStart, end);
    if (bodyEnd < 0) return KIND.malformed;
    // body: `<url> - <dn> - <msg>` (no application field)
    const urlEnd = indexOf(buf, SEP, bodyStart, end);
    if (urlEnd < 0 || urlEnd >= bodyEnd) return KIND.malformed;
    const split = splitDn(buf, urlEnd + 3, bodyEnd, EXPIRED_TEXT);
    if (split < 0) return KIND.malformed;
    const f = this.fields;
    f.type = TYPE.ExpiredRefreshTokenUsed;
    f.appAt = f.appEnd = NONE;
    f.urlAt = bodyStart;
    f.urlEnd = urlEnd;
    f.dnAt = urlEnd + 3;
    f.dnEnd = split;
    f.messageAt = split + 3;
    f.messageEnd = bodyEnd;
    return EVENT_CODE;
  }

  /** An event without the access-line fields: the whole message, maybe a DN inside it. */
  private plain(type: number, msgStart: number, end: number, dnAt: number, dnEnd: number): number {
    const f = this.fields;
    f.type = type;
    f.dnAt = dnAt;
    f.dnEnd = dnEnd;
    f.ipAt = f.ipEnd = f.urlAt = f.urlEnd = f.appAt = f.appEnd = f.sessionAt = f.sessionEnd = NONE;
    f.messageAt = msgStart;
    f.messageEnd = end;
    return EVENT_CODE;
  }

  /**
   * Reads ` [<ip>] - [<sessionId>]` from the right end (the free-text message before it may
   * contain anything, including ` - ` and brackets). Returns where the body (…<msg>) ends,
   * or -1 when the tail is not there.
   */
  private tail(buf: Buffer, bodyStart: number, end: number): number {
    if (buf[end - 1] !== 93) return -1;
    const sidOpen = lastIndexOf(buf, SID_OPEN, bodyStart, end - 1);
    if (sidOpen < bodyStart || buf[sidOpen - 1] !== 93) return -1;
    let ipOpen = sidOpen - 2;
    while (ipOpen > bodyStart && buf[ipOpen] !== 91) ipOpen--;
    if (ipOpen <= bodyStart || buf[ipOpen - 1] !== 32) return -1;
    const f = this.fields;
    if (ipOpen + 1 === sidOpen - 1) f.ipAt = f.ipEnd = NONE;
    else {
      f.ipAt = ipOpen + 1;
      f.ipEnd = sidOpen - 1;
    }
    const sidAt = sidOpen + 4;
    const sidLen = end - 1 - sidAt;
    if (sidLen === 0 || (sidLen === 4 && buf[sidAt] === 110 && buf[sidAt + 1] === 117 && buf[sidAt + 2] === 108 && buf[sidAt + 3] === 108)) {
      f.sessionAt = f.sessionEnd = NONE;
    } else {
      f.sessionAt = sidAt;
      f.sessionEnd = end - 1;
    }
    return ipOpen - 1;
  }
}

const CLOSE_SEP = b('] - ');
const SID_OPEN = b(' - [');

/**
 * `<dn> - <msg>` between `from` and `to`: returns the index of the separating ` - `.
 * A DN may itself contain ` - ` (`cn=Ops - Team,o=X`), so the separator is the first one
 * after which no `=` follows (messages are chain, level and group names, never attributes);
 * a fixed message text, when the event has one, is matched exactly.
 */
function splitDn(buf: Buffer, from: number, to: number, fixed: Buffer | null): number {
  if (fixed !== null && to - from >= fixed.length && startsWith(buf, to - fixed.length, to, fixed)) return to - fixed.length;
  let first = -1;
  let i = indexOf(buf, SEP, from, to + 3);
  while (i >= 0 && i + 3 <= to) {
    if (first < 0) first = i;
    let eq = i + 3;
    while (eq < to && buf[eq] !== 61) eq++;
    if (eq >= to) return i;
    i = indexOf(buf, SEP, i + 3, to + 3);
  }
  if (first >= 0) return first;
  // `<dn> -` with an empty message right before the ip: ` - ` overlaps the body end.
  if (to - from >= 2 && buf[to - 1] === 45 && buf[to - 2] === 32) return to - 2;
  return -1;
}

/** The bracketed word of an access line as a TYPE code, or -1 when OpenUnison never writes it. */
function accessWord(buf: Buffer, at: number, end: number): number {
  const len = end - at;
  for (const [word, code] of WORDS) if (word.length === len && startsWith(buf, at, end, word)) return code;
  return -1;
}

function classifyNonHeader(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if ((c < 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13) || c === 127) return KIND.binary;
  }
  return isUtf8(buf.subarray(start, end)) ? KIND.continuation : KIND.binary;
}

function isWord(buf: Buffer, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = buf[i] | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

// The wrappers (components/decode) import startsWith from here, not from byte-search.ts: that
// import puts the scanner in their bundle chunk, beside its byte searches, so that the calls
// it makes for each line stay inside one chunk rather than go through another's exports.
export { startsWith };
