import { Writable } from 'node:stream';
import type { Log } from '@kubernetes/client-node';
import type { InputChannel } from '../../../core/inputs.js';
import { sinceTimeOf } from '../../decode/kubelet-time.js';
import type { SourceContext } from '../../../core/live-source.js';

/** `follow`: keep a connection open; `drain`: read what the finished container left, once; `stop`: no more connections. */
export type StreamWant = 'follow' | 'drain' | 'stop';

export interface PodStreamDeps {
  ctx: SourceContext;
  logs: Log;
  namespace: string;
  container: string;
  maxLineBytes: number;
  idleReconnectMs: number;
  startAt: 'beginning' | 'end';
}

interface Connection {
  input: InputChannel;
  controller: AbortController | null;
  /** A write held back while the reader catches up (backpressure on the HTTP response). */
  blocked: (() => void) | null;
  idle: NodeJS.Timeout | null;
}

const RECONNECT_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const MAX_DRAIN_ATTEMPTS = 5;

/** Where a stream resumes: the stamp of the last line received, how many lines carried it, the line count. */
type Resume = { stamp: string; count: number; lineNo: number };

/**
 * The log of one container of one pod (by pod UID), followed through the API server across
 * reconnections and container restarts. Each connection is one input of the pipeline, whose
 * position (the stamp of the last line processed and how many lines carried it) is committed
 * with the state it produced; a new connection asks for that second again and drops the lines
 * the previous one already delivered.
 */
export class PodStream {
  readonly key: string;
  readonly origin: string;
  want: StreamWant = 'follow';
  connected = false;
  /** Why the last connection attempt failed (for /readyz), null when fine. */
  problem: string | null = null;
  private conn: Connection | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private everConnected = false;
  private lastInput: InputChannel | null = null;
  private closing = false;

  constructor(
    readonly pod: string,
    readonly uid: string,
    private readonly deps: PodStreamDeps,
  ) {
    this.key = `k8s:${deps.namespace}/${uid}/${deps.container}`;
    this.origin = `${deps.namespace}/${pod}/${deps.container}`;
  }

  /** Nothing left to do: no connection, none coming, everything processed. */
  get done(): boolean {
    return this.conn === null && this.retry === null && (this.want !== 'follow' || this.closing) && (this.lastInput === null || this.lastInput.done);
  }

  /** What the pod's state asks for; connects when needed. */
  setWant(want: StreamWant): void {
    this.want = want;
    if (want !== 'stop' && this.conn === null && this.retry === null && !this.closing) void this.connect();
  }

  close(): void {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.conn) this.end(this.conn, null);
  }

  /** Where the next connection resumes: after what the previous one delivered, or the stored position. */
  private async resumePoint(): Promise<Resume | null> {
    const last = this.lastInput;
    if (last === null) return this.deps.ctx.streamPosition(this.key);
    // Everything the previous connection delivered is parsed before its position is read.
    while (!last.settled) await new Promise((r) => setTimeout(r, 5));
    return last.received();
  }

  private async connect(): Promise<void> {
    const d = this.deps;
    const conn: Connection = { input: null as unknown as InputChannel, controller: null, blocked: null, idle: null };
    this.conn = conn;
    const resume = await this.resumePoint();
    if (this.conn !== conn) return;
    const input = d.ctx.ingest.open({
      origin: this.origin,
      identity: { kind: 'stream', key: this.key },
      startOffset: 0,
      startLineNo: resume?.lineNo ?? 0,
      live: true,
      format: 'kubectl',
      stream: { resumeAfter: resume === null ? null : { stamp: resume.stamp, count: resume.count } },
    });
    conn.input = input;
    this.lastInput = input;
    let sinceTime: string | undefined;
    if (resume !== null) sinceTime = sinceTimeOf(resume.stamp);
    else if (d.startAt === 'end' && !this.everConnected) sinceTime = new Date().toISOString().slice(0, 19) + 'Z';
    const sink = new Writable({
      write: (chunk: Buffer, _enc, callback) => {
        if (this.conn !== conn) return callback();
        this.touch(conn);
        input.push(chunk);
        if (!input.full) return callback();
        // The pipeline is behind: hold the HTTP response until it wants more.
        conn.blocked = () => callback();
        void input.ready().then(() => {
          const go = conn.blocked;
          conn.blocked = null;
          go?.();
        });
      },
      final: (callback) => {
        this.end(conn, null);
        callback();
      },
    });
    sink.on('error', () => this.end(conn, null));
    try {
      const controller = await d.logs.log(d.namespace, this.pod, d.container, sink, { follow: true, timestamps: true, sinceTime });
      conn.controller = controller;
      if (this.conn !== conn) {
        controller.abort();
        return;
      }
      this.connected = true;
      this.everConnected = true;
      this.problem = null;
      this.failures = 0;
      this.touch(conn);
      d.ctx.log.info({ pod: this.pod, container: d.container, sinceTime: sinceTime ?? null }, 'following pod log');
    } catch (err) {
      this.end(conn, err);
    }
  }

  /** A connection ended (server closed it, the container stopped, an error, or we hung up). */
  private end(conn: Connection, err: unknown): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.connected = false;
    if (conn.idle) clearTimeout(conn.idle);
    // A stream stopped by the daemon's shutdown is not ended: its last partial line is read again after a restart.
    if (conn.input !== null && !this.closing) conn.input.end();
    conn.blocked?.();
    conn.controller?.abort();
    if (err) {
      this.failures++;
      this.problem = describeApiError(err);
      this.deps.ctx.log.warn({ pod: this.pod, err: this.problem }, 'cannot read pod log (retrying)');
    }
    if (this.closing || this.want === 'stop' || (this.want === 'drain' && !err)) return;
    if (this.want === 'drain' && this.failures >= MAX_DRAIN_ATTEMPTS) {
      this.deps.ctx.log.warn({ pod: this.pod }, 'giving up on the log of a finished pod');
      this.want = 'stop';
      return;
    }
    const delay = err ? Math.min(MAX_BACKOFF_MS, RECONNECT_MS * 2 ** Math.min(this.failures, 5)) : RECONNECT_MS;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closing && this.want !== 'stop') void this.connect();
    }, delay);
  }

  /** A silently dropped connection delivers nothing, forever: reconnect after a long silence. */
  private touch(conn: Connection): void {
    if (conn.idle) clearTimeout(conn.idle);
    conn.idle = setTimeout(() => {
      this.deps.ctx.log.info({ pod: this.pod, silentMs: this.deps.idleReconnectMs }, 'pod log silent: reconnecting');
      this.end(conn, null);
    }, this.deps.idleReconnectMs);
    conn.idle.unref();
  }
}

/** An ApiException or fetch error as one sentence, with the RBAC hint a 403 needs. */
export function describeApiError(err: unknown): string {
  const e = err as { code?: number; statusCode?: number; message?: string; body?: unknown };
  const code = e.code ?? e.statusCode;
  if (code === 403) return 'forbidden (403): the service account needs get on pods/log and get/list/watch on pods in this namespace';
  if (code === 401) return 'unauthorized (401): check the kubeconfig or service account token';
  if (code === 404) return 'not found (404): the pod is gone';
  if (typeof code === 'number') return `HTTP ${code}: ${(e.message ?? '').split('\n')[0]}`;
  return (e.message ?? String(err)).split('\n')[0];
}

