import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './random.js';

/**
 * The two replicas' log files. Lines are collected per day, sorted by time and written when
 * the day is complete, so a week of millions of lines never sits in memory at once. Replica 1's
 * clock runs ahead of replica 0's by a skew that drifts over the week (NTP keeps it within a
 * few seconds), as two JVMs on two nodes do: its lines carry its own clock's time.
 *
 * The line layout is OpenUnison's log4j2 pattern `[%d][%t] %-5p %c{1} - %m%n`.
 */

export const HOST = 'https://k8sou.elbstrom.example';
export const DASHBOARD = 'https://k8sdb.elbstrom.example';
export const AUTH_URL = `${HOST}/auth/idp/k8sIdp/auth`;
export const TOKEN_URL = `${HOST}/auth/idp/k8sIdp/token`;

export const FILES = ['openunison-orchestra-0.log', 'openunison-orchestra-1.log'] as const;

/**
 * The replicas of an ingress that does not pass the client address on (`--ingress`): three
 * pods on three nodes' pod networks. Each request reaches one of them, and OpenUnison logs
 * that pod's address instead of the client's.
 */
export const INGRESS_PODS = ['10.42.0.15', '10.42.1.22', '10.42.2.9'] as const;
export type Replica = 0 | 1;
const DAY = 86_400_000;

/** Where one request is served: a replica and one of its worker threads. */
export interface Worker {
  replica: Replica;
  thread: string;
}

/** A line as written: its file, its exact text (for the ground truth) and its instant (replica 0's clock). */
export interface WrittenLine {
  file: string;
  text: string;
  ts: number;
}

export interface Skew {
  fromMs: number;
  toMs: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

interface Bucket {
  ts: number[];
  text: string[];
}

export class WeekLog {
  /** Lines written per file, and events per type as ouwatch's summary counts them. */
  readonly lines = [0, 0];
  readonly events: Record<string, number> = {};
  private readonly fds: number[];
  private readonly buckets = new Map<number, [Bucket, Bucket]>();
  private flushedDays = 0;

  constructor(
    dir: string,
    private readonly start: number,
    private readonly days: number,
    readonly skew: Skew,
    /** Picks the ingress replica of each request when OpenUnison sits behind one that hides the clients; null: clients' own addresses. */
    private readonly ingress: Rng | null = null,
  ) {
    this.fds = FILES.map((f) => openSync(join(dir, f), 'w'));
  }

  worker(rng: Rng): Worker {
    return { replica: rng.chance(0.5) ? 0 : 1, thread: `XNIO-1 task-${rng.int(1, 32)}` };
  }

  private skewAt(ts: number): number {
    const f = Math.min(1, Math.max(0, (ts - this.start) / (this.days * DAY)));
    return Math.round(this.skew.fromMs + (this.skew.toMs - this.skew.fromMs) * f);
  }

  /** One record (a log line, with its continuation lines if any); returns it as written. */
  private push(ts: number, w: Worker, body: string, continuation: string[] = []): WrittenLine {
    const day = Math.floor((ts - this.start) / DAY);
    if (day < this.flushedDays) throw new Error(`a line at ${new Date(ts).toISOString()} arrived after its day was written`);
    let pair = this.buckets.get(day);
    if (!pair) this.buckets.set(day, (pair = [{ ts: [], text: [] }, { ts: [], text: [] }]));
    const clock = w.replica === 1 ? ts + this.skewAt(ts) : ts;
    const text = `[${stamp(clock)}][${w.thread}] ${body}`;
    pair[w.replica].ts.push(ts);
    pair[w.replica].text.push(continuation.length ? [text, ...continuation].join('\n') : text);
    this.lines[w.replica] += 1 + continuation.length;
    return { file: FILES[w.replica], text, ts };
  }

  private count(type: string): void {
    this.events[type] = (this.events[type] ?? 0) + 1;
  }

  /** An AccessLog event: `[Type] - app - url - dn - msg [ip] - [session]`. */
  access(ts: number, w: Worker, type: string, app: string, url: string, dn: string, msg: string, ip: string, session: string): WrittenLine {
    this.count(type);
    return this.push(ts, w, `INFO  AccessLog - [${type}] - ${app} - ${url} - ${dn} - ${msg} [${this.logged(ip)}] - [${session}]`);
  }

  /** OpenIDConnectIdP's line for a refresh token used again within the grace period (no app field). */
  expiredRefresh(ts: number, w: Worker, dn: string, ip: string, session: string): WrittenLine {
    this.count('ExpiredRefreshTokenUsed');
    return this.push(ts, w, `INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - ${TOKEN_URL} - ${dn} - Expired token used within grace period [${this.logged(ip)}] - [${session}]`);
  }

  /** The address OpenUnison logs for a request from `ip`: the client's, or behind the ingress one of its pods'. */
  private logged(ip: string): string {
    return this.ingress === null ? ip : INGRESS_PODS[this.ingress.int(0, INGRESS_PODS.length - 1)];
  }

  /** A failed refresh: OpenIDConnectIdP's WARN, then the AzFail at /token on the same thread. */
  failedRefresh(ts: number, w: Worker, warning: string, ip: string, delayMs: number): WrittenLine[] {
    this.count('IdpWarning');
    return [this.push(ts, w, `WARN  OpenIDConnectIdP - ${warning}`), this.access(ts + delayMs, w, 'AzFail', 'k8sIdp', TOKEN_URL, 'cn=none', 'NONE', ip, 'null')];
  }

  logout(ts: number, w: Worker, dn: string): WrittenLine {
    this.count('Logout');
    return this.push(ts, w, `INFO  SessionManagerImpl - Logging out user '${dn}'`);
  }

  /** Any other line (other classes, MyVD's SRCH/RESULT, errors with their stack traces). */
  other(ts: number, w: Worker, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', cls: string, message: string, continuation: string[] = []): WrittenLine {
    return this.push(ts, w, `${level.padEnd(5)} ${cls} - ${message}`, continuation);
  }

  /** Writes every day before `day` (no later line may fall on them). */
  flushBefore(day: number): void {
    for (const d of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (d >= day) break;
      const pair = this.buckets.get(d)!;
      this.buckets.delete(d);
      for (const replica of [0, 1] as const) this.write(replica, pair[replica]);
    }
    this.flushedDays = Math.max(this.flushedDays, day);
  }

  private write(replica: Replica, b: Bucket): void {
    // Sorted by time, ties in the order they were produced (a request's lines stay in order).
    const order = Array.from(b.ts.keys()).sort((x, y) => b.ts[x] - b.ts[y] || x - y);
    for (let i = 0; i < order.length; i += 20_000) {
      const chunk = order.slice(i, i + 20_000).map((k) => b.text[k]).join('\n') + '\n';
      writeSync(this.fds[replica], chunk);
    }
  }

  close(): void {
    this.flushBefore(Number.MAX_SAFE_INTEGER);
    for (const fd of this.fds) closeSync(fd);
  }
}
