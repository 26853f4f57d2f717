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
