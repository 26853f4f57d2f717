import { statSync } from 'node:fs';
import type { DescriptorTail } from './descriptor-tail.js';
import type { FileInput } from './log-segment.js';
import { identifyFile, identifyFileSync, lastLineEnd, tailMatches, tailMatchesBuffer } from './file-identity.js';
import { fingerprintOf } from './fingerprint.js';
import type { Claim, TailContext, TailState } from './tail-context.js';
import { createTail, quitTail } from './tail-lifecycle.js';

/**
 * One path being tailed with @logdna/tail-file. The path may hold several files over time:
 * after a rotation by rename the tail delivers the rest of the old file, then the new one
 * from its first byte; after a copytruncate, the new content from byte 0. Each file identity
 * gets its own FileInput, so bytes are always attributed to the file they came from, and a
 * new identity is named by its first line before anything of it is decoded.
 */
export class TailedFile {
  state: TailState = 'waiting';
  detail = 'not identified yet';
  private tail: DescriptorTail | null = null;
  private input: FileInput | null = null;
  /** The path's new content after a rotation, held until its first line identifies it. */
  private pending: { dev: number; ino: number; head: Buffer } | null = null;
  private paused = false;
  /** Chunks handed over at a rotation event are known to precede it: no identity check. */
  private trusted = false;
  private attaching = false;
  /** The file's size when last looked at (bytes written but not yet read are lost at a truncation). */
  private lastSize = 0;
  /** Chunks that arrive while a rotated file's claim is being looked up. */
  private holding: Buffer[] | null = null;
  /**
   * The chunks of a file whose claim was still being looked up when the path was rotated
   * again: complete (its descriptor was read to the end), handed over as that file once its
   * claim answers, while the path's newest file is identified on its own.
   */
  private readonly sealed = new Set<Buffer[]>();

  constructor(
    readonly path: string,
    private readonly ctx: TailContext,
  ) {}

  /** Identifies the file at the path and starts tailing it from where its log was left. */
  async attach(): Promise<void> {
    if (this.state !== 'waiting' || this.attaching) return;
    this.attaching = true;
    try {
      await this.tryAttach();
    } finally {
      this.attaching = false;
    }
  }

  private async tryAttach(): Promise<void> {
    const id = await identifyFile(this.path);
    if (this.state !== 'waiting') return;
    if (id === null) {
      this.detail = 'waiting: no such file';
      return;
    }
    if (id.gzip) {
      this.state = 'ignored';
      this.detail = 'gzip archive (not tailed; replay it with `ouwatch replay`)';
      return;
    }
    if (id.fingerprint === null) {
      this.detail = 'waiting: no complete first line yet';
      return;
    }
    const claim = await this.ctx.claim(id.fingerprint);
    if (this.state !== 'waiting') return;
    if (claim === null) {
      this.detail = 'waiting: the same log is being read under another name';
      return;
    }
    let { offset, lineNo } = claim;
    if (!claim.known && this.ctx.startAt === 'end') {
      offset = await lastLineEnd(this.path, id.size);
      // Claims are not reservations: check again after waiting.
      if (this.state !== 'waiting' || (await this.ctx.claim(id.fingerprint)) === null) return;
    }
    if (offset > id.size) {
      this.ctx.log.warn({ path: this.path, size: id.size, checkpoint: offset }, 'file is shorter than its checkpoint: reading it from the start');
      offset = 0;
      lineNo = 0;
    } else if (claim.tailHash !== null && claim.hashOffset !== null && !(await tailMatches(this.path, claim.hashOffset, claim.tailHash))) {
      this.ctx.log.warn(
        { path: this.path, checkpoint: offset },
        'file begins like an already read log (same first record line) but its bytes before the checkpoint differ: a different log, read from its start',
      );
      offset = 0;
      lineNo = 0;
    }
    if (this.state !== 'waiting') return;
    // The awaits above (the store's checkpoint, the hash check) leave time for a rotation: the
    // path may hold another file now, which the tail (opening the path by name) would read as
    // this log from its offset. Left waiting: the next scan finds both files as they are.
    // Which file the path names is all that matters here: a stat, not the first line read again.
    const still = statSync(this.path, { throwIfNoEntry: false });
    if (still === undefined || still.dev !== id.dev || still.ino !== id.ino) {
      this.detail = 'waiting: the file was replaced while it was identified';
      return;
    }
    const input = this.ctx.open({ path: this.path, fingerprint: id.fingerprint, dev: id.dev, ino: id.ino, offset, lineNo });
    this.input = input;
    const tail = createTail(this.path, offset, this.ctx.pollIntervalMs);
    this.tail = tail;
    this.state = 'tailing';
    this.detail = 'tailing';
    tail.on('data', (chunk: Buffer) => this.onData(tail, chunk));
    tail.on('renamed', () => this.onReplaced(tail, 'renamed'));
    tail.on('truncated', () => this.onReplaced(tail, 'truncated'));
    tail.on('tail_error', (err: { message: string }) => this.ctx.log.warn({ path: this.path, err: err.message }, 'tail read error (retrying)'));
    // A poll that found nothing new: everything written so far has been read. A file gone
    // missing has nothing more to read either (for now).
    tail.on('flush', () => this.onCaughtUp(tail));
    tail.on('retry', () => this.onCaughtUp(tail));
    tail.on('error', (err: Error) => this.onGone(tail, err));
    this.ctx.log.info({ path: this.path, offset, line: lineNo, resumed: claim.known && offset > 0 }, 'tailing file');
    try {
      await tail.start();
    } catch (err) {
      this.onGone(tail, err as Error);
    }
  }

  /** Stops reading; what was handed over is processed, the rest is read after a restart. */
  async stop(): Promise<void> {
    this.state = 'closed';
    this.detail = 'stopped';
    const tail = this.tail;
    this.tail = null;
    if (tail !== null) await quitTail(tail);
  }

  private onData(tail: DescriptorTail, chunk: Buffer): void {
    if (tail !== this.tail) return;
    const time = performance.now();
    if (this.holding !== null) {
      this.holding.push(chunk);
      return;
    }
    if (this.pending !== null) {
      this.pending.head = this.pending.head.length === 0 ? chunk : Buffer.concat([this.pending.head, chunk]);
      this.identifyPending(tail);
      return;
    }
    const input = this.input;
    if (input === null) return;
    if (!this.trusted && !this.belongsTo(input)) {
      this.onMissedTruncation(tail);
      return;
    }
    input.receive(chunk, time);
    if (input.channel.full && !this.paused) {
      // The pipeline is behind: stop reading until it wants more (nothing piles up in memory).
      this.paused = true;
      tail.pause();
      void input.channel.ready().then(() => {
        if (this.paused && this.tail === tail) {
          this.paused = false;
          tail.resume();
        }
      });
    }
  }

  private onCaughtUp(tail: DescriptorTail): void {
    if (tail === this.tail && this.holding === null && this.pending === null) this.input?.caughtUp();
  }

  /**
   * Whether a chunk just delivered can be from the file being read: the path now holds
   * another file (the chunk is the rest of the renamed one) or still the same log. The
   * same inode with another first line means it was truncated and rewritten between two
   * polls, and the chunk came from the new content at the old offset.
   */
  private belongsTo(input: FileInput): boolean {
    const now = identifyFileSync(this.path);
    if (now === null || now.dev !== input.at.dev || now.ino !== input.at.ino) return true;
    if (now.fingerprint !== input.fingerprint) return false;
    this.lastSize = now.size;
    return true;
  }

  /** The tail noticed a rotation: the old file's bytes are all delivered, new ones follow. */
  private onReplaced(tail: DescriptorTail, how: 'renamed' | 'truncated'): void {
    if (tail !== this.tail) return;
    // Anything still buffered in the (paused) stream belongs to the old file.
    this.trusted = true;
    try {
      while (tail.read() !== null) {
        // each read() emits 'data', handled by onData
      }
    } finally {
      this.trusted = false;
    }
    const old = this.input;
    old?.finish();
    this.input = null;
    if (how === 'truncated' && old !== null && this.lastSize > old.received) {
      // Written after the last read and truncated away before the next: gone for good.
      this.ctx.lost(this.path, 'truncated', this.lastSize - old.received);
    }
    this.lastSize = 0;
    // Rotated again while the previous new file was still being identified (its claim is
    // looked up asynchronously): what was read of that file is all there is under this path
    // (the drain above added its last bytes). It is sealed and handed over as itself once the
    // claim answers; the newest file's bytes must not join it (they did: read twice, once
    // under each name).
    if (this.holding !== null) {
      this.sealed.add(this.holding);
      this.holding = null;
    }
    const now = identifyFileSync(this.path);
    this.pending = { dev: now?.dev ?? -1, ino: now?.ino ?? -1, head: Buffer.alloc(0) };
    this.ctx.log.info({ path: this.path, how, offset: old?.received }, `file rotated (${how}): reading the new file from its start`);
  }

  /** New content after a rotation: once its first line is complete, it is a known log or a new one. */
  private identifyPending(tail: DescriptorTail): void {
    const p = this.pending!;
    const fingerprint = fingerprintOf(p.head, false);
    if (fingerprint === null) return;
    this.pending = null;
    // Data keeps arriving while the claim is looked up: held, then handed over in order.
    const held: Buffer[] = [];
    this.holding = held;
    // The path may have gone through more than one file since the last poll (rotated twice
    // within it): the file in between exists only under its rotated name, which the periodic
    // rescan would find after this newer file's lines had passed it in the merge. Attached
    // first, it is an input the merge waits for, and time order holds.
    void this.ctx
      .rescan()
      .then(() => this.ctx.claim(fingerprint))
      .then((claim) => {
        if (this.tail !== tail) return;
        if (this.sealed.delete(held)) {
          // Rotated away meanwhile: handed over as itself, then finished (a follower of its
          // rotated name continues after it); a null claim means another one reads it already.
          if (claim !== null) this.openIdentified(fingerprint, p, held, claim).finish();
          return;
        }
        if (this.holding !== held) return;
        this.holding = null;
        if (claim === null) {
          // The same log is read under another path already; let the rescan sort it out.
          this.detach(tail, 'waiting: the same log is being read under another name');
          return;
        }
        this.input = this.openIdentified(fingerprint, p, held, claim);
      });
  }

  /**
   * Opens the input of a file identified after a rotation and hands it what was read of it. A
   * log read before under another name (or before a restart) continues after its position,
   * unless its bytes before the checkpoint differ: then it is another log.
   */
  private openIdentified(fingerprint: string, p: { dev: number; ino: number; head: Buffer }, chunks: readonly Buffer[], claim: Claim): FileInput {
    let { offset, lineNo } = claim;
    if (claim.tailHash !== null && claim.hashOffset !== null && !(p.head.length >= claim.hashOffset && tailMatchesBuffer(p.head, claim.hashOffset, claim.tailHash))) {
      if (p.head.length >= claim.hashOffset) {
        this.ctx.log.warn({ path: this.path }, 'the new file begins like an already read log but differs before its checkpoint: a different log, read from its start');
        offset = 0;
        lineNo = 0;
      }
    }
    const input = this.ctx.open({ path: this.path, fingerprint, dev: p.dev, ino: p.ino, offset, lineNo }, offset);
    input.receive(p.head, performance.now());
    for (const chunk of chunks) input.receive(chunk, performance.now());
    return input;
  }

  private onMissedTruncation(tail: DescriptorTail): void {
    // What the file held beyond what was read (its size when last seen) went with the truncation.
    const input = this.input;
    if (input !== null && this.lastSize > input.received) this.ctx.lost(this.path, 'truncated', this.lastSize - input.received);
    this.ctx.log.warn({ path: this.path }, 'file was truncated and rewritten between two polls: identifying it again');
    this.detach(tail, 'waiting: replaced');
    void this.attach();
  }

  /** The file is gone for good (or unreadable): forget it until a rescan finds it again. */
  private onGone(tail: DescriptorTail, err: Error): void {
    if (tail !== this.tail) return;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') this.ctx.log.warn({ path: this.path, err: err.message }, 'stopped tailing file');
    else {
      this.ctx.log.info({ path: this.path }, 'file disappeared');
      const input = this.input;
      if (input !== null && this.lastSize > input.received) this.ctx.lost(this.path, 'deleted', this.lastSize - input.received);
    }
    this.detach(tail, code === 'ENOENT' ? 'waiting: no such file' : `waiting: ${err.message}`);
  }

  private detach(tail: DescriptorTail, detail: string): void {
    this.input?.finish();
    this.input = null;
    this.pending = null;
    this.holding = null;
    this.sealed.clear();
    this.paused = false;
    if (this.tail === tail) this.tail = null;
    if (this.state !== 'closed') {
      this.state = 'waiting';
      this.detail = detail;
    }
    void quitTail(tail);
  }
}
