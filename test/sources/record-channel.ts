import type { InputChannel, InputPosition } from '../../src/core/inputs.js';
import { RecordDecoder } from '../../src/components/decode/record-decoder.js';

export interface Rec {
  text: string | null;
  reason: string | null;
  lineNo: number;
  resume: number;
}

/**
 * The receiving end of an input as a source sees it, decoding what is pushed with the real
 * record decoder (as the ingest worker does) so a test can read the records a source's bytes
 * make. It never holds the source back.
 */
export class RecordChannel implements InputChannel {
  readonly records: Rec[] = [];
  readonly decoder: RecordDecoder;
  ended = false;
  closed = false;
  bytes = 0;

  constructor(startOffset: number, startLineNo: number) {
    this.decoder = new RecordDecoder(
      {
        record: (buf, start, end, resume, lineNo) => this.records.push({ text: buf.toString('utf8', start, end), reason: null, lineNo, resume }),
        skip: (reason, resume, lineNo) => this.records.push({ text: null, reason, lineNo, resume }),
      },
      startOffset,
      startLineNo,
    );
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.decoder.write(chunk);
  }
  unread(): void {}
  ready(): Promise<boolean> {
    return Promise.resolve(!this.ended && !this.closed);
  }
  end(): void {
    this.ended = true;
    this.decoder.end();
  }
  abandon(): void {
    this.closed = true;
  }
  readonly committed: InputPosition | null = null;
  readonly full = false;
  get done(): boolean {
    return this.ended || this.closed;
  }
  readonly settled = true;
  current(): InputPosition {
    return { offset: this.decoder.offset, lineNo: this.decoder.lineNo, tailHash: null, hashOffset: this.decoder.offset, stamp: null };
  }
  received(): null {
    return null;
  }
}
