/**
 * JSON arrays and NDJSON rewritten as NDJSON in which the nested values (arrays and objects) of
 * chosen top-level keys are JSON strings holding their text as written, so that Polars reads
 * those columns as text and they load as `jsonb` exactly as the file has them. Polars' own
 * inference gives a nested column one supertype, and rows of another depth are rewritten to
 * fit it (`[[0,1,2]]` became `[[[0],[1],[2]]]`) or the file fails; text keeps every row's shape.
 *
 * A streaming byte scanner (strings and escapes respected), bounded memory: one record's nested
 * value at a time. Raw line breaks outside strings become spaces, so a pretty-printed array
 * becomes one record per line.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { FerryError } from '../errors/index.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** PostgreSQL's limit on one field (see load/pg-binary.ts): a longer nested value is refused as it is read. */
const MAX_VALUE_BYTES = 0x3fffffff - 4;

/** Bytes appended one at a time into a growing buffer (a number[] would take 8 bytes per byte). */
class ByteSink {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  push(byte: number): void {
    if (this.length === this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
  }

  /** The bytes so far (a copy), and the sink emptied. */
  take(): Buffer {
    const taken = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return taken;
  }

  /** Appends `bytes[from, to)`. */
  appendBytes(bytes: Buffer, from: number, to: number): void {
    const count = to - from;
    if (this.length + count > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + count));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.length, from, to);
    this.length += count;
  }

  /** Appends another sink's bytes. */
  append(other: ByteSink): void {
    this.appendBytes(other.buffer, 0, other.length);
  }
}

/** Where a run of string bytes with no quote, backslash or line break ends (from `start`). */
function plainRunEnd(chunk: Buffer, start: number): number {
  let end = chunk.length;
  for (const stop of [QUOTE, BACKSLASH, NEWLINE]) {
    const at = chunk.indexOf(stop, start);
    if (at !== -1 && at < end) end = at;
  }
  return end;
}

const isSpace = (byte: number) => byte === SPACE || byte === NEWLINE || byte === 0x0d || byte === 0x09;

export interface JsonRecordsOptions {
  /** `json`: one array of records; `ndjson`: records one after the other. */
  readonly format: 'json' | 'ndjson';
  /** Keys whose every non-null value is written as its JSON text (a string), nested or not. */
  readonly jsonKeys: ReadonlySet<string>;
}

/**
 * The scanner. It emits records as lines and calls `onKey(key, nested)` for each top-level
 * value (for the sample pass that decides `jsonKeys`).
 */
export class JsonRecords extends Transform {
  private readonly format: 'json' | 'ndjson';
  private readonly jsonKeys: ReadonlySet<string>;
  private readonly onKey: ((key: string, nested: boolean) => void) | null;
  /** Where the scanner is: outside any record, before the array, inside a record. */
  private state: 'start' | 'between' | 'record' | 'end' = 'start';
  /** Depth inside the current record: 1 is the record's own object. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** In the record's object: are we reading a key (true) or a value (false)? */
  private expectKey = true;
  /** After a top-level key's colon, until its value's first byte. */
  private awaitingValue = false;
  private keyBytes: number[] = [];
  private readingKey = false;
  private currentKey = '';
  /** A captured top-level value (nested, or any value of a JSON key): its bytes, escaped. */
  private capture: ByteSink | null = null;
  private readonly captured = new ByteSink();
  private captureDepth = 0;
  private readonly out = new ByteSink();
  private records = 0;
  /** Bytes of the current record: a record over PostgreSQL's field limit is refused as it is read. */
  private recordBytes = 0;

  constructor(options: JsonRecordsOptions, onKey: ((key: string, nested: boolean) => void) | null = null) {
    super();
    this.format = options.format;
    this.jsonKeys = options.jsonKeys;
    this.onKey = onKey;
    if (this.format === 'ndjson') this.state = 'between';
  }

  /** Records seen so far. */
  get recordCount(): number {
    return this.records;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (let i = 0; i < chunk.length; i++) {
        // The inside of a plain string value is copied as a run, up to its next quote,
        // backslash or line break: long text values are most of many files' bytes.
        if (this.inString && this.state === 'record' && this.capture === null && !this.readingKey && !this.escaped) {
          const end = plainRunEnd(chunk, i);
          if (end > i) {
            this.recordBytes += end - i;
            if (this.recordBytes > MAX_VALUE_BYTES) this.byte(chunk[i] as number); // refuses the record
            this.out.appendBytes(chunk, i, end);
            i = end - 1;
            continue;
          }
        }
        this.byte(chunk[i] as number);
      }
      if (this.out.length > 0) this.push(this.out.take());
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'record') {
      callback(new FerryError('FILE_CORRUPT', `the JSON ends inside record ${this.records + 1}`));
      return;
    }
    if (this.format === 'json' && this.state !== 'end') {
      callback(new FerryError('FILE_CORRUPT', 'the JSON array is not closed (truncated, or not a JSON array of records)'));
      return;
    }
    if (this.out.length > 0) this.push(this.out.take());
    callback();
  }

  private byte(byte: number): void {
    switch (this.state) {
      case 'start':
        if (isSpace(byte) || byte === 0xef || byte === 0xbb || byte === 0xbf) return; // white space, a UTF-8 BOM
        if (byte !== OPEN_BRACKET) throw new FerryError('FILE_CORRUPT', 'a JSON file must hold an array of records ([{…}, …])');
        this.state = 'between';
        return;
      case 'end':
        if (!isSpace(byte)) throw new FerryError('FILE_CORRUPT', 'there is more after the JSON array');
        return;
      case 'between':
        if (isSpace(byte) || (this.format === 'json' && byte === COMMA)) return;
        if (this.format === 'json' && byte === CLOSE_BRACKET) {
          this.state = 'end';
          return;
        }
        if (byte !== OPEN_BRACE) {
          throw new FerryError('FILE_CORRUPT', `record ${this.records + 1} is not a JSON object (it starts with ${JSON.stringify(String.fromCharCode(byte))})`);
        }
        this.state = 'record';
        this.recordBytes = 1;
        this.depth = 1;
        this.expectKey = true;
        this.awaitingValue = false;
        this.out.push(byte);
        return;
      case 'record':
        if (++this.recordBytes > MAX_VALUE_BYTES) {
          throw new FerryError(
            'VALUE_TOO_LARGE',
            `record ${this.records + 1} is over ${MAX_VALUE_BYTES} bytes; PostgreSQL takes at most that in one field, and ferry reads no record that large`,
          );
        }
        this.recordByte(byte);
    }
  }

  private recordByte(byte: number): void {
    if (this.capture !== null) {
      this.captureByte(byte);
      return;
    }
    if (this.inString) {
      this.out.push(byte === NEWLINE ? SPACE : byte);
      if (this.readingKey && !(byte === QUOTE && !this.escaped)) this.keyBytes.push(byte);
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) {
        this.inString = false;
        if (this.readingKey) {
          this.readingKey = false;
          this.currentKey = decodeKey(this.keyBytes);
        }
      }
      return;
    }
    if (this.depth === 1 && this.awaitingValue && !isSpace(byte)) {
      // The first byte of a top-level value.
      const nested = byte === OPEN_BRACE || byte === OPEN_BRACKET;
      this.onKey?.(this.currentKey, nested);
      this.awaitingValue = false;
      if (nested || (this.jsonKeys.has(this.currentKey) && byte !== 0x6e) /* null stays null */) {
        this.capture = this.captured;
        this.capture.length = 0;
        this.captureDepth = 0;
        this.out.push(QUOTE);
        this.captureByte(byte);
        return;
      }
    }
    if (isSpace(byte)) {
      this.out.push(SPACE);
      return;
    }
    this.out.push(byte);
    if (byte === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && this.expectKey) {
        this.readingKey = true;
        this.keyBytes = [];
      }
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      this.depth--;
      if (this.depth === 0) this.endRecord();
    } else if (byte === COMMA && this.depth === 1) this.expectKey = true;
    else if (byte === COLON && this.depth === 1) {
      this.expectKey = false;
      this.awaitingValue = true;
    }
  }

  /** A byte of a captured value: written escaped into the JSON string that replaces it. */
  private captureByte(byte: number): void {
    const capture = this.capture as ByteSink;
    if (capture.length > MAX_VALUE_BYTES) {
      throw new FerryError(
        'VALUE_TOO_LARGE',
        `record ${this.records + 1} holds a value over ${MAX_VALUE_BYTES} bytes in key ${JSON.stringify(this.currentKey)}; PostgreSQL takes at most that in one field`,
      );
    }
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) this.inString = false;
      if (byte === QUOTE || byte === BACKSLASH) capture.push(BACKSLASH);
      capture.push(byte);
      return;
    }
    if (byte === QUOTE) {
      this.inString = true;
      capture.push(BACKSLASH);
      capture.push(byte);
      return;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.captureDepth++;
    const closes = byte === CLOSE_BRACE || byte === CLOSE_BRACKET;
    // A scalar (of a JSON key) ends at the record's next comma or closing brace.
    const scalarEnds = this.captureDepth === 0 && (byte === COMMA || byte === CLOSE_BRACE || isSpace(byte));
    if (scalarEnds) {
      this.finishCapture();
      this.recordByte(byte);
      return;
    }
    if (!isSpace(byte)) capture.push(byte);
    if (closes) {
      this.captureDepth--;
      if (this.captureDepth === 0) this.finishCapture();
    }
  }

  private finishCapture(): void {
    this.out.append(this.capture as ByteSink);
    this.out.push(QUOTE);
    this.capture = null;
  }

  private endRecord(): void {
    this.out.push(NEWLINE);
    this.records++;
    this.state = 'between';
    this.expectKey = true;
  }
}

function decodeKey(bytes: readonly number[]): string {
  try {
    return JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string;
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}
