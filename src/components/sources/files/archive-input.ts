import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { InputChannel, InputIdentity, InputRegistration } from '../../../core/inputs.js';
import type { FileCheckpoint } from '../../../core/ports.js';
import { exportOrderProblem, isExport } from '../../decode/export-order.js';
import { TAIL_HASH_BYTES, fingerprintOf, tailHash } from './fingerprint.js';
import { gunzipped, READ_CHUNK } from './gzip.js';
import type { PodSegment } from './pod-segments.js';
import { UserFixableError } from '../../../core/errors.js';

/** What identifying a plain file reads at a time, and what an identified input keeps of its beginning (reading then goes on by READ_CHUNK). */
const HEAD_BYTES = 64 * 1024;

/** An argument that cannot be used as an input (the CLI exits with code 2). */
export class InputError extends UserFixableError {}

/** Where to resume an input, by fingerprint (null = from the start). */
export type CheckpointLookup = (fingerprint: string) => Promise<FileCheckpoint | null>;

/**
 * One replayed input (plain file, .gz archive, or stdin) as bytes. `identify()` finds its
 * identity from its first record line and where to resume: after its checkpoint, once the
 * bytes just before it are confirmed to be the ones read (two logs that share their first
 * lines are different logs). `pump()` then pushes the rest into the pipeline. Gzip is
 * recognised by its magic bytes, not its name, on files and on stdin.
 */
export class ArchiveInput {
  readonly origin: string;
  identity: InputIdentity = { kind: 'none' };
  startOffset = 0;
  startLineNo = 0;
  /** Set when the input could not be read to its end, or was read from the start for a reason. */
  warning: string | null = null;
  /** Logged at warn level: a checkpointed log that turned out to be a different one. */
  notice: string | null = null;
  private chunks: AsyncIterator<Buffer> | null = null;
  private stream: Readable | null = null;
  /** Bytes of the file read since its reading last (re)started (before gunzip: measures a gzip archive's progress). */
  private fileBytesRead = 0;
  private fileStart = 0;
  private gzip = false;
  private size = -1;
  private dev: number | null = null;
  private ino: number | null = null;
  /** Bytes read while identifying and not yet pushed. */
  private head: Buffer | null = null;
  /**
   * Where reading starts again when the pipeline first asks for more (null: it is under way,
   * or there is nothing more). A replay of hundreds of files identifies them all first, and a
   * read stream holds a chunk (1 MiB) it read ahead, a gzip one more: a plain file is
   * identified from small reads, and no input keeps a reading open once identified.
   */
  private streamAt: number | null = null;
  /**
   * The file, open from identifying to the end: reading it starts later, and by then the
   * path may name another file (a log rotated or deleted during a long replay).
   */
  private handle: FileHandle | null = null;
  private eof = false;
  /** Offset (decompressed) just after the last chunk read; reading stops at `end`. */
  private readPos = 0;
  private readonly end: number;

  /**
   * `timeOrder`: the input will be read for detection, which needs log-time order, so an
   * export that is newest first or unsorted is refused when identified (replay).
   * `segment`: only these bytes of the file, one pod's run in a `kubectl logs --prefix` file.
   */
  constructor(
    readonly path: string,
    private readonly opts: { timeOrder?: boolean; segment?: PodSegment } = {},
  ) {
    this.origin = path === '-' ? 'stdin' : path;
    this.startOffset = opts.segment?.start ?? 0;
    this.startLineNo = opts.segment?.lineNo ?? 0;
    this.end = opts.segment?.end ?? Number.POSITIVE_INFINITY;
  }

  /** Where reading resumed after a checkpoint (a byte of the file), or 0 when it starts at its beginning. */
  get resumedAt(): number {
    return this.startOffset > this.startOffsetOfPart() ? this.startOffset : 0;
  }

  /** The pod whose run of lines this input is (a part of its file), or null for a whole file. */
  get part(): string | null {
    return this.opts.segment?.pod ?? null;
  }

  get fingerprint(): string | null {
    return this.identity.kind === 'file' ? this.identity.fingerprint : null;
  }

  registration(): InputRegistration {
    return { origin: this.origin, identity: this.identity, startOffset: this.startOffset, startLineNo: this.startLineNo, live: false };
  }

  /** Reads the beginning, looks up the checkpoint, checks it and positions after it. */
  async identify(lookup: CheckpointLookup | null): Promise<void> {
    await this.identifyOpen(lookup);
    this.suspend();
  }

  private async identifyOpen(lookup: CheckpointLookup | null): Promise<void> {
    if (this.path === '-') this.stream = process.stdin;
    else {
      this.handle = await open(this.path, 'r');
      const st = await this.handle.stat();
      this.dev = st.dev;
      this.ino = st.ino;
      this.size = st.size;
      const magic = Buffer.alloc(2);
      const { bytesRead } = await this.handle.read(magic, 0, 2, 0);
      this.gzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
      if (this.gzip) this.chunks = this.openFile(this.startOffset);
      else this.openLater(this.startOffset);
    }
    if (this.stream === process.stdin) this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // A segment of an archive: its bytes come after the ones before it are decompressed.
    if (this.gzip && this.startOffset > 0) await this.skipTo(this.startOffset);
    let head: Buffer = this.head ?? Buffer.alloc(0);
    this.head = null;
    let fingerprint: string | null = null;
    for (;;) {
      const chunk = this.streamAt !== null ? await this.readHead() : await this.read();
      if (chunk === null) this.eof = true;
      else head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (this.path === '-' && !this.gzip && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
        this.gzip = true;
        this.restartStdinThroughGunzip(head);
        head = Buffer.alloc(0);
        continue;
      }
      fingerprint = fingerprintOf(head, this.eof);
      if (fingerprint !== null || this.eof) break;
    }
    // An export's order is judged on its first chunk's worth of records, as a stream reads it.
    if (this.opts.timeOrder && this.streamAt !== null && !this.eof && head.length < READ_CHUNK && isExport(head, false)) {
      const parts = [head];
      let length = head.length;
      while (length < READ_CHUNK) {
        const more = await this.readHead();
        if (more === null) {
          this.eof = true;
          break;
        }
        parts.push(more);
        length += more.length;
      }
      head = Buffer.concat(parts);
    }
    this.head = head;
    // An export (Loki, Elasticsearch) newest first would raise wrong alerts: refused up front.
    const order = this.opts.timeOrder ? exportOrderProblem(head, this.eof) : null;
    if (order !== null) throw new InputError(`${this.origin}: ${order}`);
    if (fingerprint === null) return;
    this.identity = { kind: 'file', fingerprint, path: this.origin, dev: this.dev, ino: this.ino };
    const cp = lookup === null ? null : await lookup(fingerprint);
    if (cp === null || cp.offset === 0) return;
    // A checkpoint before this pod's run was taken in another layout of its lines.
    if (cp.offset < this.startOffsetOfPart()) return this.differentLog(cp);
    if (!this.gzip && this.size >= 0 && cp.offset > Math.min(this.size, this.end)) {
      this.warning =
        this.part === null
          ? `${this.origin} is shorter than its checkpoint (${this.size} < ${cp.offset} bytes): read from the start`
          : `${this.origin}, ${this.part}: its lines end before its checkpoint (byte ${cp.offset}): read from the start`;
      return;
    }
    await this.resumeAt(cp);
  }

  /** Pushes every byte after the start position into `channel`, then ends it. */
  async pump(channel: InputChannel): Promise<void> {
    try {
      while (await channel.ready()) {
        const chunk = await this.next();
        if (chunk === null) {
          channel.end();
          return;
        }
        channel.push(chunk);
      }
    } finally {
      this.close();
    }
  }

  /**
   * How far through its file the input is: bytes of the file (compressed, for gzip) consumed
   * and to consume from where it started. Null for stdin, whose size is unknown.
   */
  progress(): { done: number; total: number } | null {
    if (this.path === '-' || this.size < 0) return null;
    const last = this.gzip ? this.size : Math.min(this.size, this.end);
    const total = Math.max(0, last - this.fileStart);
    if (this.eof && this.head === null) return { done: total, total };
    // A plain file: the bytes handed on; a gzip archive: its compressed bytes read.
    const done = this.gzip ? this.fileBytesRead : this.readPos - this.fileStart;
    return { done: Math.min(total, done), total };
  }

  /** Reads and drops the bytes before `offset` (a compressed input cannot seek). */
  private async skipTo(offset: number): Promise<void> {
    while (this.readPos < offset) {
      const before = this.readPos;
      const chunk = await this.read();
      if (chunk === null) {
        this.eof = true;
        return;
      }
      if (this.readPos > offset) this.head = chunk.subarray(offset - before);
    }
  }

  close(): void {
    this.closeStream();
    // Closing cannot fail in a way that matters here: the file was only read.
    this.handle?.close().catch(() => undefined);
    this.handle = null;
  }

  /** The reading under way (a gzip stream, the file's chunks), not the file (nor stdin). */
  private closeStream(): void {
    if (this.stream === process.stdin) return;
    this.stream?.destroy();
    void this.chunks?.return?.();
    this.stream = null;
    this.chunks = null;
  }

  /**
   * Positions after the checkpoint once the bytes before it match what was read: a plain file
   * is read at the checkpoint's hash offset, a compressed or piped one as it is skipped.
   */
  private async resumeAt(cp: FileCheckpoint): Promise<void> {
    const hashAt = cp.tailHash === null ? null : cp.hashOffset ?? cp.offset;
    if (!this.gzip && this.path !== '-') {
      if (hashAt !== null && !(await this.fileBytesMatch(hashAt, cp.tailHash!))) return this.differentLog(cp);
      this.closeStream();
      this.head = null;
      this.openLater(cp.offset);
      this.eof = false;
      this.startOffset = cp.offset;
      this.startLineNo = cp.lineNo;
      return;
    }
    // Compressed or piped: read and drop what was processed, checking the bytes on the way.
    const window = hashAt === null ? null : Buffer.alloc(Math.min(TAIL_HASH_BYTES, hashAt));
    const windowFrom = hashAt === null ? 0 : hashAt - window!.length;
    let pending: Buffer | null = this.head;
    let pos = this.readPos - (pending?.length ?? 0);
    this.head = null;
    while (pos < cp.offset) {
      const chunk = pending ?? (await this.read());
      pending = null;
      if (chunk === null) {
        this.eof = true;
        this.warning = `${this.origin} ended before its checkpoint: nothing new to read`;
        this.startOffset = pos;
        this.startLineNo = cp.lineNo;
        return;
      }
      const end = pos + chunk.length;
      if (window !== null && end > windowFrom && pos < hashAt!) {
        const from = Math.max(windowFrom, pos);
        const to = Math.min(hashAt!, end);
        chunk.copy(window, from - windowFrom, from - pos, to - pos);
      }
      if (end > cp.offset) this.head = chunk.subarray(cp.offset - pos);
      pos = end;
    }
    if (window !== null && tailHash(window) !== cp.tailHash) {
      if (this.path === '-') {
        this.notice = `stdin begins like an already read log but its bytes before the checkpoint differ: it is a different log, and its first ${cp.offset} bytes were passed over (replay it with --from-start to read them)`;
      } else {
        this.closeStream();
        this.chunks = this.openFile(0);
        this.head = null;
        this.eof = false;
        if (this.startOffsetOfPart() > 0) await this.skipTo(this.startOffsetOfPart());
        return this.differentLog(cp);
      }
    }
    this.startOffset = cp.offset;
    this.startLineNo = cp.lineNo;
  }

  private differentLog(cp: FileCheckpoint): void {
    this.notice = `${this.origin} begins like the log read as ${cp.path} (same first record line), but its bytes before that log's checkpoint differ: it is a different log, read from its start`;
    this.startOffset = this.startOffsetOfPart();
    this.startLineNo = this.opts.segment?.lineNo ?? 0;
  }

  private startOffsetOfPart(): number {
    return this.opts.segment?.start ?? 0;
  }

  private async fileBytesMatch(hashAt: number, expected: string): Promise<boolean> {
    const n = Math.min(TAIL_HASH_BYTES, hashAt);
    if (this.size < hashAt) return false;
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.handle!.read(buf, 0, n, hashAt - n);
    return bytesRead === n && tailHash(buf) === expected;
  }

  private async next(): Promise<Buffer | null> {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      if (head.length > 0) return head;
    }
    if (this.eof) return null;
    const chunk = await this.read();
    if (chunk === null) this.eof = true;
    return chunk;
  }

  private async read(): Promise<Buffer | null> {
    if (this.streamAt !== null) {
      await this.openNow();
      const rest = this.head;
      this.head = null;
      if (rest !== null && rest.length > 0) return rest;
    }
    if (this.chunks === null || this.readPos >= this.end) return null;
    try {
      const r = await this.chunks.next();
      if (r.done) return null;
      let chunk = r.value as Buffer;
      if (this.readPos + chunk.length > this.end) chunk = chunk.subarray(0, this.end - this.readPos);
      this.readPos += chunk.length;
      return chunk;
    } catch (err) {
      this.warning = `${this.origin}: ${describeReadError(err, this.gzip)}; the lines before the damage were processed`;
      return null;
    }
  }

  /**
   * Identified: at most HEAD_BYTES of what was read are kept to push, and no reading stays
   * under way, until the pipeline asks for more (then `openNow` goes on where the kept bytes
   * end; a gzip archive is decompressed again up to there). A replay identifies all its
   * inputs before reading any: a gzip stream holds chunks it decompressed ahead, and the head
   * of an export is read to 1 MiB to judge its order.
   */
  private suspend(): void {
    if (this.path === '-') return;
    const head = this.head ?? Buffer.alloc(0);
    const headStart = this.readPos - head.length;
    if (head.length > HEAD_BYTES) {
      // Copied: a view would keep the whole chunk it was cut from.
      this.head = Buffer.from(head.subarray(0, HEAD_BYTES));
      this.streamAt = this.readPos = headStart + HEAD_BYTES;
      this.eof = false;
    } else if (this.eof) this.streamAt = null;
    else if (this.streamAt === null) this.streamAt = this.readPos;
    this.closeStream();
  }

  /** Reads on from where the bytes handed on so far end (`streamAt`); a gzip archive's rest goes to `head`. */
  private async openNow(): Promise<void> {
    const at = this.streamAt!;
    this.streamAt = null;
    const fileStart = this.fileStart;
    this.chunks = this.openFile(this.gzip ? 0 : at);
    this.fileStart = fileStart;
    this.head = null;
    if (this.gzip) await this.skipTo(at);
  }

  /** A plain file: read from `start`, by chunks from the first read after its head. */
  private openLater(start: number): void {
    this.streamAt = start;
    this.fileStart = start;
    this.readPos = start;
  }

  /**
   * The next bytes of a plain file being identified (HEAD_BYTES at most, enough for the first
   * record line of most logs); reading by chunks goes on from there.
   */
  private async readHead(): Promise<Buffer | null> {
    const want = Math.min(HEAD_BYTES, this.end - this.readPos);
    if (want <= 0) return null;
    try {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.handle!.read(buf, 0, want, this.readPos);
      if (bytesRead === 0) return null;
      this.readPos += bytesRead;
      this.streamAt = this.readPos;
      return bytesRead === want ? buf : buf.subarray(0, bytesRead);
    } catch (err) {
      this.warning = `${this.origin}: ${describeReadError(err, false)}; the lines before the damage were processed`;
      return null;
    }
  }

  /**
   * Reads the file from `start` (a gzip archive from its first byte, decompressed), on the
   * handle opened when identifying, a chunk at a time as the pipeline asks.
   */
  private openFile(start: number): AsyncIterator<Buffer> {
    const from = this.gzip ? 0 : start;
    this.fileStart = from;
    this.readPos = from;
    this.fileBytesRead = 0;
    const chunks = this.fileChunks(this.handle!, from);
    if (!this.gzip) {
      this.stream = null;
      return chunks;
    }
    this.stream = gunzipped(Readable.from(chunks, { objectMode: false }));
    return this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async *fileChunks(handle: FileHandle, from: number): AsyncGenerator<Buffer> {
    for (let pos = from; ; ) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      this.fileBytesRead += bytesRead;
      yield bytesRead === READ_CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  }

  /** Stdin turned out to be gzip: decompress what was read and the rest of the stream. */
  private restartStdinThroughGunzip(head: Buffer): void {
    const rest = this.chunks!;
    const compressed = Readable.from(
      (async function* () {
        yield head;
        for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value as Buffer;
      })(),
    );
    this.stream = gunzipped(compressed);
    this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.readPos = 0;
  }
}

function describeReadError(err: unknown, gzip: boolean): string {
  const msg = (err as Error).message ?? String(err);
  if (gzip && /unexpected end of file/i.test(msg)) return 'the gzip archive is truncated';
  if (gzip) return `the gzip archive is damaged (${msg})`;
  return `read error (${msg})`;
}
