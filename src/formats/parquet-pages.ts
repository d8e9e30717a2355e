/**
 * A second opinion on a Parquet file's GZIP pages, asked only after Polars failed on the file:
 * each GZIP column chunk's first page decompressed with Node's zlib, which reads every gzip
 * member of a page (the format allows several; Polars' reader stops after the first). When
 * they all decompress to the size their headers declare, the file is valid and the failure is
 * the reader's: FILE_UNSUPPORTED, not FILE_CORRUPT.
 */
import zlib from 'node:zlib';
import type { ObjectStore } from '../storage/index.ts';
import type { FooterInfo } from './parquet-footer.ts';
import { readPageHeader } from './parquet-footer.ts';

const GZIP = 2;
const DATA_PAGE = 0;
const DICTIONARY_PAGE = 2;
/** A page header is small; this is more than any writer's. */
const HEADER_BYTES = 4096;
/** Chunks checked at most: a sample is enough to tell the reader's failure from the file's. */
const MAX_CHUNKS = 16;

export async function gzipPagesReadable(store: ObjectStore, file: { key: string; etag: string | null }, footer: FooterInfo): Promise<boolean> {
  const chunks = footer.rowGroups.flatMap((group) => group.columns.filter((chunk) => chunk.codec === GZIP)).slice(0, MAX_CHUNKS);
  if (chunks.length === 0) return false;
  for (const chunk of chunks) {
    const head = await store.readRange(file.key, chunk.start, Math.min(HEADER_BYTES, chunk.compressedSize), file.etag);
    let header: ReturnType<typeof readPageHeader>;
    try {
      header = readPageHeader(head);
    } catch {
      return false;
    }
    // Data page v2 keeps its levels uncompressed before the values: not judged here.
    if ((header.type !== DATA_PAGE && header.type !== DICTIONARY_PAGE) || header.compressedSize < 0) return false;
    const page = await store.readRange(file.key, chunk.start + header.headerLength, header.compressedSize, file.etag);
    try {
      if (zlib.gunzipSync(page).length !== header.uncompressedSize) return false;
    } catch {
      return false;
    }
  }
  return true;
}
