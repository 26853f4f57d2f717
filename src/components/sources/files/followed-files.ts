import { createReadStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import type { SourceStatus } from '../../../core/runtime.js';
import type { FileCheckpoint } from '../../../core/ports.js';
import { FileInput, type FilePosition } from './log-segment.js';
import { findByInode, identifyFile } from './file-identity.js';
import type { LiveSource, SourceContext } from '../../../core/live-source.js';
import { TailedFile } from './followed-log.js';
import type { Claim, TailContext } from './tail-context.js';

/** Scans at start at most (see start()). */
const START_SCANS = 5;

export interface FileTailOptions {
  /** Source name in /readyz and logs (`files`, or `node` for CRI files on the node). */
  name: string;
  /** Paths or globs (relative ones are taken from the working directory). */
  patterns: string[];
  startAt: 'beginning' | 'end';
  pollIntervalMs: number;
  rescanIntervalMs: number;
  maxLineBytes: number;
}

/**
 * Tails every file matching the patterns, now and later (globs are expanded again every
 * `rescanIntervalMs`). A log is known by the fingerprint of its first line: it is read by one
 * reader at a time, whatever names it goes by (a rotated `app.log.1` is the `app.log` read a
 * minute ago), and resumes from this process's own position or else from its checkpoint.
 */
export class FileTailSource implements LiveSource {
  readonly name: string;
  private readonly patterns: string[];
  private readonly matches: (path: string) => boolean;
  private readonly files = new Map<string, TailedFile>();
  /** The latest reader of each log this run (its cursor is the freshest position). */
  private readonly readers = new Map<string, FileInput>();
  private readonly drains = new Set<FileInput>();
  /** Bytes lost to truncations and deletions before they were read, by reason (for metrics). */
  readonly lostBytes = { truncated: 0, deleted: 0 };
  private scanned = false;
  /** Paths found by scans so far (start() scans again until this stops growing). */
  private discovered = 0;
  private scanning: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly tailCtx: TailContext;

  constructor(
    private readonly opts: FileTailOptions,
    private readonly ctx: SourceContext,
  ) {
    this.name = opts.name;
    this.patterns = opts.patterns.map((p) => resolve(p));
    const isMatch = picomatch(this.patterns, { dot: true });
    const literal = new Set(this.patterns);
    this.matches = (p) => literal.has(p) || isMatch(p);
    this.tailCtx = {
      log: ctx.log,
      pollIntervalMs: opts.pollIntervalMs,
      startAt: opts.startAt,
      maxLineBytes: opts.maxLineBytes,
      claim: (fp) => this.claim(fp),
      rescan: () => this.scanFromNow(),
      open: (at, skip) => this.open(at, skip),
      lost: (path, reason, bytes) => {
        this.lostBytes[reason] += bytes;
        ctx.log.warn({ path, reason, bytes }, `${bytes} bytes of ${path} were ${reason === 'truncated' ? 'truncated away' : 'deleted'} before they could be read: those lines are lost (rotate by rename, not copytruncate)`);
      },
    };
  }

  async start(): Promise<void> {
    await this.readRotatedWhileStopped();
    // Files rotated while a scan attached the others (a slow start, a stopped or starved
    // process) exist only under names it did not list: the merge, which starts once this
    // resolves, would take the newest file's lines before theirs. Listed again until a scan
    // finds nothing new (a log rotating faster than a scan never settles: bounded).
    for (let scans = 0; scans < START_SCANS; scans++) {
      const known = this.discovered;
      await this.scan();
      if (this.discovered === known) break;
    }
    this.timer = setInterval(() => void this.scan(), this.opts.rescanIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    await Promise.all([...this.files.values()].map((f) => f.stop()));
  }

  status(): SourceStatus {
    const files = [...this.files.values()];
    const inputs = files.map((f) => ({ name: f.path, state: f.detail }));
    const tailing = files.filter((f) => f.state === 'tailing').length;
    let detail: string;
    if (!this.scanned) detail = 'starting';
    else if (this.files.size === 0) detail = `waiting: no file matches ${this.patterns.join(', ')}`;
    else if (tailing === 0) detail = 'waiting: no matching file can be read yet';
    else detail = `tailing ${tailing} file${tailing === 1 ? '' : 's'}`;
    return { name: this.name, attached: this.scanned && tailing > 0, detail, inputs, lostBytes: { ...this.lostBytes } };
  }

  /** Expands the globs: new files are tailed, waiting ones retried, vanished ones forgotten. */
  scan(): Promise<void> {
    if (this.scanning === null) {
      this.scanning = this.rescan().finally(() => {
        this.scanning = null;
      });
    }
    return this.scanning;
  }

  /** A scan that lists the files after this call (one in progress may have listed them before a rotation). */
  private async scanFromNow(): Promise<void> {
    if (this.scanning !== null) await this.scanning;
    await this.scan();
  }

  private async rescan(): Promise<void> {
    let found: string[];
    try {
      found = await glob(this.patterns, { absolute: true, onlyFiles: true, expandDirectories: false, dot: true });
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'cannot expand the file patterns');
      return;
    }
    if (this.stopped) return;
    const present = new Set(found);
    for (const p of found) {
      if (this.files.has(p)) continue;
      this.files.set(p, new TailedFile(p, this.tailCtx));
      this.discovered++;
    }
    for (const [p, f] of this.files) {
      if (f.state === 'waiting' && !present.has(p) && !this.patterns.includes(p)) this.files.delete(p);
    }
    // Oldest names first: `app.log.2` before `app.log.1` before `app.log` is the usual order of age.
    const waiting = [...this.files.values()].filter((f) => f.state === 'waiting').sort((a, b) => (a.path < b.path ? 1 : -1));
    for (const f of waiting) await f.attach();
    this.scanned = true;
  }

  private async claim(fingerprint: string): Promise<Claim | null> {
    const reader = this.readers.get(fingerprint);
    if (reader !== undefined) {
      if (!reader.done) return null;
      const p = reader.position();
      return { offset: p.offset, lineNo: p.lineNo, known: true, tailHash: null, hashOffset: null };
    }
    const cp = await this.ctx.checkpoint(fingerprint);
    if (this.readers.has(fingerprint)) return null;
    return cp === null
      ? { offset: 0, lineNo: 0, known: false, tailHash: null, hashOffset: null }
      : { offset: cp.offset, lineNo: cp.lineNo, known: true, tailHash: cp.tailHash, hashOffset: cp.hashOffset };
  }

  private open(at: FilePosition, skipBytes = 0): FileInput {
    const channel = this.ctx.ingest.open({
      origin: at.path,
      identity: { kind: 'file', fingerprint: at.fingerprint, path: at.path, dev: at.dev, ino: at.ino },
      startOffset: at.offset,
      startLineNo: at.lineNo,
      live: true,
    });
    const input = new FileInput(at, channel, skipBytes);
    this.readers.set(input.fingerprint, input);
    return input;
  }

  /**
   * A log rotated away while ouwatch was stopped, to a name the patterns do not match, still
   * holds lines after its checkpoint: find it by device and inode and read them, once.
   */
  private async readRotatedWhileStopped(): Promise<void> {
    const latestByPath = new Map<string, FileCheckpoint>();
    for (const cp of await this.ctx.checkpoints()) if (!latestByPath.has(cp.path) && this.matches(cp.path)) latestByPath.set(cp.path, cp);
    for (const cp of latestByPath.values()) {
      if (cp.dev === null || cp.ino === null) continue;
      const here = await identifyFile(cp.path);
      if (here?.fingerprint === cp.fingerprint) continue;
      const moved = await findByInode(dirname(cp.path), cp.dev, cp.ino);
      if (moved === null || this.matches(moved)) continue;
      const id = await identifyFile(moved);
      if (id === null || id.fingerprint !== cp.fingerprint || id.size <= cp.offset) continue;
      this.ctx.log.info({ path: moved, was: cp.path, offset: cp.offset, size: id.size }, 'reading the rest of a file rotated while ouwatch was stopped');
      const input = this.open({ path: moved, fingerprint: cp.fingerprint, dev: id.dev, ino: id.ino, offset: cp.offset, lineNo: cp.lineNo });
      this.drains.add(input);
      const stream = createReadStream(moved, { start: cp.offset });
      stream.on('data', (chunk) => {
        input.receive(chunk as Buffer, performance.now());
        if (input.channel.full) {
          stream.pause();
          void input.channel.ready().then(() => stream.resume());
        }
      });
      stream.on('error', (err) => {
        this.ctx.log.warn({ path: moved, err: err.message }, 'cannot read the rotated file');
        input.finish();
      });
      stream.on('end', () => {
        input.finish();
        this.drains.delete(input);
      });
    }
  }
}
