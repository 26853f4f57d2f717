import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { TAIL_HASH_BYTES, tailHash } from './fingerprint.js';
import { gunzipped, handleHasGzipMagic, READ_CHUNK } from './gzip.js';

/** What identifying a plain file reads at a time, and what an identified input keeps of its beginning (reading then goes on by READ_CHUNK). */
const HEAD_BYTES = 64 * 1024;

/**
 * The bytes of one replayed input (a plain file, a gzip archive, stdin), decompressed, up to
 * `end`: what identifying reads first (`head`), then chunks as the pipeline asks. A file is
 * held open from `open()` to `close()`, so that a log rotated or deleted during a long replay
 * is still the one read; and once identified (`suspend()`), an input keeps at most HEAD_BYTES
 * and no reading under way until the pipeline asks for more: a replay identifies hundreds of
 * files before reading any, and each read stream would hold a chunk (1 MiB) it read ahead.
 */
export class InputBytes {
  gzip = false;
  size = -1;
  dev: number | null = null;
  ino: number | null = null;
  /** Bytes read and not handed on yet (the beginning read while identifying, a chunk's rest after a skip). */
  head: Buffer | null = null;
  eof = false;
  /** Offset (decompressed) just after the last chunk read; reading stops at `end`. */
  readPos = 0;
  private chunks: AsyncIterator<Buffer> | null = null;
  private stream: Readable | null = null;
  private handle: FileHandle | null = null;
  /** Where reading starts again when the pipeline first asks for more (null: it is under way, or there is nothing more). */
  private streamAt: number | null = null;
  /** Where reading started (plain file) and the file's bytes read since (a gzip archive's progress). */
  private fileStart = 0;
  private fileBytesRead = 0;
  /** Where a plain file's chunks are read into, when the pipeline lends buffers (InputChannel.lendBuffer); else new ones. */
  lend: ((bytes: number) => Buffer) | null = null;

  constructor(
    readonly path: string,
    private readonly end: number,
    /** Reading failed: the input ends there (the message says why). */
    private readonly onReadError: (why: string) => void,
  ) {}

  get stdin(): boolean {
    return this.path === '-';
  }

  /** A file that is not a gzip archive (known once opened): read at any offset. */
  get plainFile(): boolean {
    return !this.stdin && !this.gzip;
  }

  /** Opens the file (or takes stdin) and positions at `start`: a plain file's reading begins there, a gzip archive's bytes before it are decompressed and dropped. */
  async open(start: number): Promise<void> {
    if (this.stdin) {
      this.stream = process.stdin;
      this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      return;
    }
    this.handle = await open(this.path, 'r');
    const st = await this.handle.stat();
    this.dev = st.dev;
    this.ino = st.ino;
    this.size = st.size;
    this.gzip = await handleHasGzipMagic(this.handle);
    if (!this.gzip) return this.reopenAt(start);
    this.chunks = this.readFile(0);
    if (start > 0) await this.skipTo(start);
  }

  /** The next bytes while identifying: HEAD_BYTES of a plain file, a chunk of anything else; null at the end. */
  async more(): Promise<Buffer | null> {
    return this.streamAt !== null ? this.readHead() : this.read();
  }

  /** More bytes of a plain file being identified, by HEAD_BYTES, until `have` reaches `limit` (an export's order is judged on 1 MiB). */
  async moreUpTo(have: Buffer, limit: number): Promise<Buffer> {
    if (this.streamAt === null || this.eof) return have;
    const parts = [have];
    let length = have.length;
    while (length < limit) {
      const more = await this.readHead();
      if (more === null) {
        this.eof = true;
        break;
      }
      parts.push(more);
      length += more.length;
    }
    return Buffer.concat(parts);
  }

  /** The next chunk to hand on (what is held first), null at the end. */
  async next(): Promise<Buffer | null> {
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

  /** The next chunk read (not what is held); null at the end or on a read error. */
  async read(): Promise<Buffer | null> {
    if (this.streamAt !== null) {
      await this.resume();
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
      this.onReadError(describeReadError(err, this.gzip));
      return null;
    }
  }

  /** Reads and drops the bytes before `offset` (a compressed input cannot seek); the rest of the chunk that crosses it is held. */
  async skipTo(offset: number): Promise<void> {
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

  /** A plain file: reading goes on at `offset` (a checkpoint), nothing held. */
  reopenAt(offset: number): void {
    this.closeReading();
    this.head = null;
    this.eof = false;
    this.streamAt = offset;
    this.fileStart = offset;
    this.readPos = offset;
  }

  /** Reading starts again at the first byte (a gzip archive that is not the log checkpointed). */
  restart(): void {
    this.closeReading();
    this.chunks = this.readFile(0);
    this.head = null;
    this.eof = false;
  }

  /** Stdin turned out to be gzip: `head` (what was read) and the rest of stdin, decompressed. */
  restartStdinThroughGunzip(head: Buffer): void {
    const rest = this.chunks!;
    const compressed = Readable.from(
      (async function* () {
        yield head;
        for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value as Buffer;
      })(),
    );
    this.gzip = true;
    this.stream = gunzipped(compressed);
    this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.readPos = 0;
  }

  /**
   * Identified: at most HEAD_BYTES of what is held are kept, and no reading stays under way
   * until the pipeline asks for more (`resume`: a gzip archive is decompressed again up to there).
   */
  suspend(): void {
    if (this.stdin) return;
    const head = this.head ?? Buffer.alloc(0);
    const headStart = this.readPos - head.length;
    if (head.length > HEAD_BYTES) {
      // Copied: a view would keep the whole chunk it was cut from.
      this.head = Buffer.from(head.subarray(0, HEAD_BYTES));
      this.streamAt = this.readPos = headStart + HEAD_BYTES;
      this.eof = false;
    } else if (this.eof) this.streamAt = null;
    else if (this.streamAt === null) this.streamAt = this.readPos;
    this.closeReading();
  }

  /** Whether the `TAIL_HASH_BYTES` of the file before `hashAt` hash to `expected` (a plain file's checkpoint). */
  async bytesMatch(hashAt: number, expected: string): Promise<boolean> {
    const n = Math.min(TAIL_HASH_BYTES, hashAt);
    if (this.size < hashAt) return false;
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.handle!.read(buf, 0, n, hashAt - n);
    return bytesRead === n && tailHash(buf) === expected;
  }

  /** Bytes of the file (compressed, for gzip) consumed and to consume from where reading started; null for stdin. */
  progress(): { done: number; total: number } | null {
    if (this.stdin || this.size < 0) return null;
    const last = this.gzip ? this.size : Math.min(this.size, this.end);
    const total = Math.max(0, last - this.fileStart);
    if (this.eof && this.head === null) return { done: total, total };
    // A plain file: the bytes handed on; a gzip archive: its compressed bytes read.
    const done = this.gzip ? this.fileBytesRead : this.readPos - this.fileStart;
    return { done: Math.min(total, done), total };
  }

  close(): void {
    this.closeReading();
    // Closing cannot fail in a way that matters here: the file was only read.
    this.handle?.close().catch(() => undefined);
    this.handle = null;
  }

  /** The reading under way (a gzip stream, the file's chunks), not the file (nor stdin). */
  private closeReading(): void {
    if (this.stream === process.stdin) return;
    this.stream?.destroy();
    void this.chunks?.return?.();
    this.stream = null;
    this.chunks = null;
  }

  /** Reads on from where the bytes handed on so far end (`streamAt`); a gzip archive's rest goes to `head`. */
  private async resume(): Promise<void> {
    const at = this.streamAt!;
    this.streamAt = null;
    const fileStart = this.fileStart;
    this.chunks = this.readFile(this.gzip ? 0 : at);
    this.fileStart = fileStart;
    this.head = null;
    if (this.gzip) await this.skipTo(at);
  }

  /** The next HEAD_BYTES of a plain file (enough for the first record line of most logs); reading by chunks goes on from there. */
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
      this.onReadError(describeReadError(err, false));
      return null;
    }
  }

  /** The file from `from` (a gzip archive from its first byte, decompressed), on the handle, a chunk at a time as asked. */
  private readFile(from: number): AsyncIterator<Buffer> {
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
      // A gzip archive's chunks go to the decompressor, not to the pipeline.
      const buf = this.lend !== null && !this.gzip ? this.lend(READ_CHUNK) : Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      this.fileBytesRead += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  }
}

function describeReadError(err: unknown, gzip: boolean): string {
  const msg = (err as Error).message ?? String(err);
  if (gzip && /unexpected end of file/i.test(msg)) return 'the gzip archive is truncated';
  if (gzip) return `the gzip archive is damaged (${msg})`;
  return `read error (${msg})`;
}
