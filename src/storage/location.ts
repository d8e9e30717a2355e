/**
 * Where files are read from. A storage is written as a local folder (`./data/inbox`,
 * `file:///srv/in`), an S3 URL (`s3://bucket/prefix`), or OpenDAL options
 * (`{ scheme: 'gcs', options: {...} }`). Secrets never live here: S3 credentials come from the
 * environment when the operator is built.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type StorageLocation =
  | { readonly kind: 'fs'; readonly root: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'opendal'; readonly scheme: string; readonly options: Readonly<Record<string, string>> };

export type StorageInput = string | { readonly scheme: string; readonly options?: Readonly<Record<string, string>> };

/** Parses a storage; returns an error message for the caller to attach to the field name. */
export function parseStorage(input: StorageInput, cwd: string): StorageLocation | string {
  if (typeof input !== 'string') {
    if (input.scheme === 'fs') {
      const root = input.options?.root;
      if (root === undefined) return 'scheme fs needs options.root';
      return { kind: 'fs', root: path.resolve(cwd, root) };
    }
    if (input.scheme === 's3') {
      const bucket = input.options?.bucket;
      if (bucket === undefined) return 'scheme s3 needs options.bucket';
      return { kind: 's3', bucket, prefix: normalisePrefix(input.options?.root ?? '') };
    }
    return { kind: 'opendal', scheme: input.scheme, options: { ...input.options } };
  }
  const text = input.trim();
  if (text === '') return 'is empty';
  if (text.startsWith('s3://')) {
    const rest = text.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (bucket === '') return `"${text}" has no bucket (expected s3://bucket/prefix)`;
    return { kind: 's3', bucket, prefix: normalisePrefix(slash === -1 ? '' : rest.slice(slash + 1)) };
  }
  if (text.startsWith('file://')) {
    try {
      return { kind: 'fs', root: fileURLToPath(text) };
    } catch (error) {
      return `"${text}" is not a valid file URL: ${(error as Error).message}`;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return `unsupported storage URL "${text}" (use s3://bucket/prefix, file:///dir, a folder, or { scheme, options })`;
  }
  return { kind: 'fs', root: path.resolve(cwd, text) };
}

/** `a/b` → `a/b/`; `` and `/` → ``. Prefixes in ferry never start with a slash. */
function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** A description for logs and HTTP: no credentials are part of a location. */
export function describeStorage(location: StorageLocation): string {
  switch (location.kind) {
    case 'fs':
      return location.root;
    case 's3':
      return `s3://${location.bucket}/${location.prefix}`;
    case 'opendal':
      return `${location.scheme}://`;
  }
}
