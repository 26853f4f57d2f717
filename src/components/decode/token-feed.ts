import { StringDecoder } from 'node:string_decoder';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { RecordTokens, type RecordSink } from './json-records.js';

/**
 * stream-json's parser, fed bytes through a UTF-8 decoder (a piece may end inside a
 * character), its tokens going to `RecordTokens`, which picks the records out. Broken JSON is
 * reported by the return value, not acted on: the caller decides where reading starts again,
 * and `restart` puts a new parser in place there.
 */
export class TokenFeed {
  readonly tokens: RecordTokens;
  private parse = newParser();
  private decoder = new StringDecoder('utf8');

  constructor(sink: RecordSink) {
    this.tokens = new RecordTokens(sink);
  }

  /** Parses `chunk[from, to)`; false when it is broken JSON. */
  write(chunk: Buffer, from: number, to: number): boolean {
    return this.parseText(this.decoder.write(chunk.subarray(from, to)), false);
  }

  /** Parses text that only puts a new parser back into a context (RecordTokens.context): it raises no outcome. */
  writeContext(text: string): boolean {
    return this.parseText(text, true);
  }

  /** A new parser and decoder, and tokens that forget everything (after broken JSON or a skipped value). */
  restart(): void {
    this.parse = newParser();
    this.decoder = new StringDecoder('utf8');
    this.tokens.reset();
  }

  private parseText(text: string, synthetic: boolean): boolean {
    let out;
    try {
      out = this.parse(text);
    } catch {
      return false;
    }
    if (typeof out === 'symbol') return true;
    this.tokens.synthetic = synthetic;
    const tokens: Token[] = out.values;
    for (let k = 0; k < tokens.length; k++) this.tokens.consume(tokens[k]);
    this.tokens.synthetic = false;
    return true;
  }
}

function newParser() {
  return jsonParser({ jsonStreaming: true, streamValues: false });
}
