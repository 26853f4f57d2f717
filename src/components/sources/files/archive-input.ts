import type { InputChannel, InputIdentity, InputRegistration } from '../../../core/inputs.js';
import type { FileCheckpoint } from '../../../core/ports.js';
import { headOrder } from '../../decode/export-order.js';
import { TAIL_HASH_BYTES, fingerprintOf, tailHash } from './fingerprint.js';
import { READ_CHUNK, startsWithGzipMagic } from './gzip.js';
import { InputBytes } from './input-bytes.js';
import type { PodSegment } from './pod-segments.js';
import { UserFixableError } from '../../../core/errors.js';

/** An argument that cannot be used as an input (the CLI exits with code 2). */
export class InputError extends UserFixableError {}

/** Where to resume an input, by fingerprint (null = from the start). */
export type CheckpointLookup = (fingerprint: string) => Promise<FileCheckpoint | null>;

/**
 * One replayed input (plain file, .gz archive, or stdin). `identify()` finds its identity
 * from its first record line and where to resume: after its checkpoint, once the bytes just
 * before it are confirmed to be the ones read (two logs that share their first lines are
 * different logs). `pump()` then pushes the rest into the pipeline. Gzip is recognised by its
 * magic bytes, not its name, on files and on stdin; the bytes themselves come from
 * `InputBytes`.
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
  private readonly bytes: InputBytes;

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
    this.bytes = new InputBytes(path, opts.segment?.end ?? Number.POSITIVE_INFINITY, (why) => {
      this.warning = `${this.origin}: ${why}; the lines before the damage were processed`;
    });
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
    await this.identifyFrom(lookup);
    this.bytes.suspend();
  }

  /** Pushes every byte after the start position into `channel`, then ends it. */
  async pump(channel: InputChannel): Promise<void> {
    if (channel.lendBuffer !== undefined) this.bytes.lend = (bytes) => channel.lendBuffer!(bytes);
    try {
      while (await channel.ready()) {
        const chunk = await this.bytes.next();
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
    return this.bytes.progress();
  }

  close(): void {
    this.bytes.close();
  }

  private async identifyFrom(lookup: CheckpointLookup | null): Promise<void> {
    const bytes = this.bytes;
    await bytes.open(this.startOffset);
    let head: Buffer = bytes.head ?? Buffer.alloc(0);
    bytes.head = null;
    let fingerprint: string | null = null;
    for (;;) {
      const chunk = await bytes.more();
      if (chunk === null) bytes.eof = true;
      else head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (bytes.stdin && !bytes.gzip && startsWithGzipMagic(head)) {
        bytes.restartStdinThroughGunzip(head);
        head = Buffer.alloc(0);
        continue;
      }
      fingerprint = fingerprintOf(head, bytes.eof);
      if (fingerprint !== null || bytes.eof) break;
    }
    // An export (Loki, Elasticsearch) newest first, or out of order, would raise wrong alerts:
    // refused up front, judged on its first chunk's worth of records; so is a log file whose
    // head is newest first (a text export, a reversed file), judged on the head it has.
    let order = this.opts.timeOrder === true ? headOrder(head, bytes.eof) : null;
    if (order?.exported === true && bytes.plainFile && head.length < READ_CHUNK) {
      head = await bytes.moreUpTo(head, READ_CHUNK);
      order = headOrder(head, bytes.eof);
    }
    bytes.head = head;
    if (order?.problem != null) throw new InputError(`${this.origin}: ${order.problem}`);
    if (fingerprint === null) return;
    this.identity = { kind: 'file', fingerprint, path: this.origin, dev: bytes.dev, ino: bytes.ino };
    const cp = lookup === null ? null : await lookup(fingerprint);
    if (cp === null || cp.offset === 0) return;
    // A checkpoint before this pod's run was taken in another layout of its lines.
    if (cp.offset < this.startOffsetOfPart()) return this.differentLog(cp);
    const end = this.opts.segment?.end ?? Number.POSITIVE_INFINITY;
    if (!bytes.gzip && bytes.size >= 0 && cp.offset > Math.min(bytes.size, end)) {
      this.warning =
        this.part === null
          ? `${this.origin} is shorter than its checkpoint (${bytes.size} < ${cp.offset} bytes): read from the start`
          : `${this.origin}, ${this.part}: its lines end before its checkpoint (byte ${cp.offset}): read from the start`;
      return;
    }
    await this.resumeAt(cp);
  }

  /**
   * Positions after the checkpoint once the bytes before it match what was read: a plain file
   * is read at the checkpoint's hash offset, a compressed or piped one as it is skipped.
   */
  private async resumeAt(cp: FileCheckpoint): Promise<void> {
    const bytes = this.bytes;
    const hashAt = cp.tailHash === null ? null : cp.hashOffset ?? cp.offset;
    if (!bytes.gzip && !bytes.stdin) {
      if (hashAt !== null && !(await bytes.bytesMatch(hashAt, cp.tailHash!))) return this.differentLog(cp);
      bytes.reopenAt(cp.offset);
      this.startOffset = cp.offset;
      this.startLineNo = cp.lineNo;
      return;
    }
    // Compressed or piped: read and drop what was processed, checking the bytes on the way.
    const window = hashAt === null ? null : Buffer.alloc(Math.min(TAIL_HASH_BYTES, hashAt));
    const windowFrom = hashAt === null ? 0 : hashAt - window!.length;
    let pending: Buffer | null = bytes.head;
    let pos = bytes.readPos - (pending?.length ?? 0);
    bytes.head = null;
    while (pos < cp.offset) {
      const chunk = pending ?? (await bytes.read());
      pending = null;
      if (chunk === null) {
        bytes.eof = true;
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
      if (end > cp.offset) bytes.head = chunk.subarray(cp.offset - pos);
      pos = end;
    }
    if (window !== null && tailHash(window) !== cp.tailHash) {
      if (bytes.stdin) {
        this.notice = `stdin begins like an already read log but its bytes before the checkpoint differ: it is a different log, and its first ${cp.offset} bytes were passed over (replay it with --from-start to read them)`;
      } else {
        bytes.restart();
        if (this.startOffsetOfPart() > 0) await bytes.skipTo(this.startOffsetOfPart());
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
}
