import type { AddressInfo } from './addresses.js';
import type { Evidence } from './alerts.js';
import type { EventJson, EventType } from './events.js';

/** An address as it appeared in the log, with what offline data says about it. */
export interface Address extends AddressInfo {
  readonly ip: string;
}

/** A DN as logged, with its SHA-1 (OpenUnison's `tremolo.io/user-dn` label). */
export interface Dn {
  readonly dn: string;
  readonly sha1: string;
}

/**
 * One OpenUnison event as the stages after parsing see it. Numbers and shared objects are
 * cheap to read; the strings that are not (the line, the URL, the message) are made on
 * demand. The pipeline hands out one object per event it processes and reuses it for the
 * next: keep values, never the event itself.
 */
export interface LogEvent {
  /** Log time, epoch ms. */
  readonly ts: number;
  /** TYPE code (index in EVENT_TYPES). */
  readonly type: number;
  readonly typeName: EventType;
  /** Interned DN id (-1 when the event has no DN); ids are stable while the DN is in use. */
  readonly dnId: number;
  readonly dn: Dn | null;
  readonly ipId: number;
  readonly address: Address | null;
  readonly sessionId: string | null;
  /** Index of the input (file, pod stream) the event came from. */
  readonly input: number;
  readonly origin: string;
  readonly lineNo: number;
  url(): string | null;
  /** Whether the URL ends with `suffix` (ASCII), without making it a string: asked of every success. */
  urlEndsWith(suffix: string): boolean;
  app(): string | null;
  message(): string;
  level(): string;
  logger(): string;
  /** The thread's name as logged (`XNIO-1 task-6`). */
  thread(): string;
  /**
   * The thread within its input: its name, after the pod's when the input interleaves several
   * pods' lines (stern, `kubectl logs -f --prefix`), where each pod has its own `XNIO-1 task-6`.
   */
  threadScope(): string;
  /** The log line as read (unwrapped from docker/CRI). */
  raw(): string;
  /**
   * The event as evidence (`sourceOf` and its line), one object per event: findings, alerts
   * and detector state that name the same event share it. Never modified by its holders.
   */
  evidence(): Evidence;
}

/** `origin:line`: where the evidence is. */
export function sourceOf(e: LogEvent): string {
  return `${e.origin}:${e.lineNo}`;
}

/** The input and thread a line was logged on: the lines of one request share it (stable across restarts). */
export function threadOf(e: LogEvent): string {
  return `${e.origin}\n${e.threadScope()}`;
}

/** The public JSON shape of an event (`ouwatch parse --json`). */
export function eventJson(e: LogEvent): EventJson {
  return {
    time: new Date(e.ts).toISOString(),
    type: e.typeName,
    dn: e.dn?.dn ?? null,
    dnSha1: e.dn?.sha1 ?? null,
    ip: e.address?.ip ?? null,
    url: e.url(),
    app: e.app(),
    sessionId: e.sessionId,
    message: e.message(),
    level: e.level(),
    logger: e.logger(),
    thread: e.thread(),
    source: sourceOf(e),
  };
}
