import { Writable } from 'node:stream';
import type { Log } from '@kubernetes/client-node';
import type { InputCursor } from '../../../pipeline/pipeline.js';
import type { StreamPosition } from '../../../store/sqlite/stream-positions.js';
import { PodLogDecoder, PodLogInput, StampPosition } from './pod-log-input.js';
import { sinceTimeOf } from './kubelet-time.js';
import type { LiveContext } from '../../../core/live-source.js';
import { PAUSE_ABOVE, RESUME_BELOW } from '../../../core/live-source.js';

/** `follow`: keep a connection open; `drain`: read what the finished container left, once; `stop`: no more connections. */
export type StreamWant = 'follow' | 'drain' | 'stop';

export interface PodStreamDeps {
  ctx: LiveContext;
  logs: Log;
  namespace: string;
  container: string;
  maxLineBytes: number;
  idleReconnectMs: number;
  startAt: 'beginning' | 'end';
}

interface Connection {
  input: PodLogInput;
  controller: AbortController | null;
  /** A write held back while the reader catches up (backpressure on the HTTP response). */
  blocked: (() => void) | null;
  idle: NodeJS.Timeout | null;
}

const RECONNECT_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const MAX_DRAIN_ATTEMPTS = 5;

/**
 * The log of one container of one pod (by pod UID), followed through the API server across
 * reconnections and container restarts. `consumed` is what the pipeline has processed (it is
 * committed with the state it produced); `received` is what has been queued, where a new
 * connection resumes.
 */
export class PodStream {
  readonly key: string;
  readonly origin: string;
  readonly cursor: InputCursor;
  readonly consumed: StampPosition;
  private readonly received: StampPosition;
  dirty = false;
  want: StreamWant = 'follow';
  connected = false;
  /** Why the last connection attempt failed (for /readyz), null when fine. */
  problem: string | null = null;
  private conn: Connection | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private everConnected = false;
  private lastInput: PodLogInput | null = null;
  private closing = false;

  constructor(
    readonly pod: string,
    readonly uid: string,
    saved: StreamPosition | null,
    private readonly deps: PodStreamDeps,
  ) {
    this.key = `k8s:${deps.namespace}/${uid}/${deps.container}`;
    this.origin = `${deps.namespace}/${pod}/${deps.container}`;
    this.cursor = {
      origin: this.origin,
      path: this.origin,
      fingerprint: null,
      dev: null,
      ino: null,
      offset: 0,
      lineNo: 0,
      dirty: false,
      checkpointed: false,
    };
    this.consumed = saved === null ? new StampPosition() : new StampPosition(saved.lastTime, saved.atLastTime, saved.lineNo);
    this.received = this.consumed.copy();
  }

  /** Nothing left to do: no connection, none coming, everything consumed and committed. */
  get done(): boolean {
    const drained = this.lastInput === null || this.lastInput.queue.size === 0;
    return this.conn === null && this.retry === null && (this.want !== 'follow' || this.closing) && !this.dirty && drained;
  }

  get position(): StreamPosition {
    const c = this.consumed;
    return { stream: this.key, origin: this.origin, lastTime: c.lastTime, atLastTime: c.atLastTime, lineNo: c.lineNo };
  }

  /** What the pod's state asks for; connects when needed. */
  setWant(want: StreamWant): void {
    this.want = want;
    if (want !== 'stop' && this.conn === null && this.retry === null && !this.closing) void this.connect();
  }

  /** After a drain: lets a response held back for backpressure flow again. */
  resumeIfDrained(): void {
    const c = this.conn;
    if (c?.blocked && c.input.queue.size < RESUME_BELOW) {
      const go = c.blocked;
      c.blocked = null;
      go();
    }
  }

  close(): void {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.conn) this.end(this.conn, null);
  }

  private async connect(): Promise<void> {
    const d = this.deps;
    const input = new PodLogInput(this, new PodLogDecoder(this.received.copy(), this.received, d.maxLineBytes));
    const conn: Connection = { input, controller: null, blocked: null, idle: null };
    this.conn = conn;
    this.lastInput = input;
    d.ctx.add(input);
    let sinceTime: string | undefined;
    if (this.received.lastTime !== null) sinceTime = sinceTimeOf(this.received.lastTime);
    else if (d.startAt === 'end' && !this.everConnected) sinceTime = new Date().toISOString().slice(0, 19) + 'Z';
    const sink = new Writable({
      write: (chunk: Buffer, _enc, callback) => {
        if (this.conn !== conn) return callback();
        this.touch(conn);
        input.receive(chunk);
        d.ctx.wake();
        if (input.queue.size > PAUSE_ABOVE) conn.blocked = () => callback();
        else callback();
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
    conn.input.finish();
    conn.blocked?.();
    conn.controller?.abort();
    this.deps.ctx.wake();
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
