// Events: what a log line becomes. The vocabulary every stage speaks lives in src/core.

/** The six words OpenUnison's AccessLog writes between brackets. */
export const ACCESS_EVENT_TYPES = ['AuSuccess', 'AuFail', 'AzSuccess', 'AzFail', 'NotFound', 'Error'] as const;

/**
 * Every event ouwatch understands. The first seven are bracketed words in the log;
 * `IdpWarning` is a WARN line of OpenIDConnectIdP (refresh failures), `Logout` is
 * SessionManagerImpl's `Logging out user '<dn>'`.
 */
export const EVENT_TYPES = [...ACCESS_EVENT_TYPES, 'ExpiredRefreshTokenUsed', 'IdpWarning', 'Logout'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where an IP address is, as far as the offline database knows. */
export interface GeoInfo {
  country: string;
  lat: number;
  lon: number;
}

/**
 * One OpenUnison event. `time` and `source` (with the fields before them) are the public
 * contract printed by `ouwatch parse --json` (docs/commands.md); they are derived on demand, because
 * formatting them for millions of events nobody prints is most of a replay's time budget.
 */
export class Event {
  /** Filled by enrich: the DN's SHA-1 (OpenUnison's `tremolo.io/user-dn` label). */
  dnSha1: string | null = null;
  /** Filled by enrich: null for private, unknown or missing addresses. */
  geo: GeoInfo | null = null;

  constructor(
    /** Log time, epoch milliseconds. */
    readonly ts: number,
    readonly type: EventType,
    /** Enrich may swap in an equal, shared copy (cheaper map lookups, no retained chunk). */
    public dn: string | null,
    public ip: string | null,
    readonly url: string | null,
    readonly app: string | null,
    readonly sessionId: string | null,
    readonly message: string,
    readonly level: string,
    readonly logger: string,
    readonly thread: string,
    /** The stream the line came from (file path, pod name, `stdin`): threads are unique only within one. */
    readonly origin: string,
    /** Physical line number in `origin`. */
    readonly lineNo: number,
    /** The log line as read (after unwrapping docker/CRI), for evidence. */
    readonly raw: string,
  ) {}

  /** ISO 8601 UTC with milliseconds. */
  get time(): string {
    return new Date(this.ts).toISOString();
  }

  /** `origin:line`: where the evidence is. */
  get source(): string {
    return this.origin + ':' + this.lineNo;
  }
}

/** The public JSON shape of an event (the `parse --json` contract), in contract order. */
export interface EventJson {
  time: string;
  type: EventType;
  dn: string | null;
  dnSha1: string | null;
  ip: string | null;
  url: string | null;
  app: string | null;
  sessionId: string | null;
  message: string;
  level: string;
  logger: string;
  thread: string;
  source: string;
}

/**
 * Why a line did not become an event. `other` and `continuation` are normal log content
 * (other classes, MyVD's SRCH/RESULT lines, stack traces); the rest are counted as skipped.
 */
export const LINE_KINDS = ['other', 'continuation', 'malformed', 'binary', 'oversized', 'unknown-word', 'truncated'] as const;
export type LineKind = (typeof LINE_KINDS)[number];
export const SKIP_REASONS = ['malformed', 'binary', 'oversized', 'unknown-word', 'truncated'] as const;

/** DNs that are not people: they never get a baseline or a per-DN alert. */
export const NON_USER_DNS: ReadonlySet<string> = new Set(['cn=none', 'uid=Anonymous,o=Tremolo']);

export function isUserDn(dn: string | null): dn is string {
  return dn !== null && dn !== '' && !NON_USER_DNS.has(dn);
}

/** Event types as small integers (their index in EVENT_TYPES), for columns of numbers. */
export const TYPE = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;
/** What a scanned line is, as a number: EVENT_CODE, or 1 + its index in LINE_KINDS. */
export const EVENT_CODE = 0;
export const KIND = Object.fromEntries(LINE_KINDS.map((k, i) => [k, i + 1])) as Record<LineKind, number>;
export function kindName(code: number): LineKind {
  return LINE_KINDS[code - 1];
}
