/**
 * Finds the first byte of a stream that is not valid UTF-8, with its line, so that an encoding
 * error in a text file is reported where it is (Polars says only "invalid utf-8 sequence").
 * Runs only after a read has failed.
 */
import type { Readable } from 'node:stream';

export interface Utf8Error {
  /** 1-based line of the first invalid sequence. */
  readonly line: number;
  /** 0-based byte offset where that sequence starts. */
  readonly offset: number;
}

export async function findInvalidUtf8(stream: Readable): Promise<Utf8Error | null> {
  let line = 1;
  let offset = 0;
  let need = 0; // continuation bytes still expected
  let start = 0; // offset of the current sequence's first byte
  let startLine = 1;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++, offset++) {
        const byte = chunk[i] as number;
        if (need > 0) {
          if (byte >= 0x80 && byte <= 0xbf) {
            need--;
            continue;
          }
          return { line: startLine, offset: start };
        }
        if (byte < 0x80) {
          if (byte === 0x0a) line++;
          continue;
        }
        start = offset;
        startLine = line;
        if (byte >= 0xc2 && byte <= 0xdf) need = 1;
        else if (byte >= 0xe0 && byte <= 0xef) need = 2;
        else if (byte >= 0xf0 && byte <= 0xf4) need = 3;
        else return { line, offset };
      }
    }
  } finally {
    stream.destroy();
  }
  return need > 0 ? { line: startLine, offset: start } : null;
}
