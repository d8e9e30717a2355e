/**
 * Where files are read from. A storage is written as a local folder (`./data/inbox`,
 * `file:///srv/in`), an S3 URL (`s3://bucket/prefix`), an Azure Blob Storage URL
 * (`azblob://container/prefix`), or OpenDAL options (`{ scheme: 'gcs', options: {...} }`).
 * Secrets never live here: S3 and Azure credentials come from the environment when the operator
 * is built.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type StorageLocation =
  | { readonly kind: 'fs'; readonly root: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'azblob'; readonly container: string; readonly prefix: string }
  | { readonly kind: 'opendal'; readonly scheme: string; readonly options: Readonly<Record<string, string>> };

export type StorageInput = string | { readonly scheme: string; readonly options?: Readonly<Record<string, string>> };

/** Parses a storage; returns an error message for the caller to attach to the field name. */
export function parseStorage(input: StorageInput, cwd: string): StorageLocation | string {
  if (typeof input !== 'string') {
    // s3 and azblob take their endpoint and credentials from the environment only: an option
    // that would be ignored is refused, naming where its value goes instead.
    const taken = { fs: ['root'], s3: ['bucket', 'root'], azblob: ['container', 'root'] }[input.scheme];
    const ignored = taken === undefined ? [] : Object.keys(input.options ?? {}).filter((option) => !taken.includes(option));
    if (ignored.length > 0) {
      const from = { fs: '', s3: ' (endpoint, region and credentials come from AWS_*)', azblob: ' (endpoint and credentials come from AZURE_STORAGE_*)' }[
        input.scheme as 'fs' | 's3' | 'azblob'
      ];
      return `scheme ${input.scheme} takes only ${(taken as string[]).join(' and ')} in options, not ${ignored.join(', ')}${from}`;
    }
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
    if (input.scheme === 'azblob') {
      const container = input.options?.container;
      if (container === undefined) return 'scheme azblob needs options.container';
      return azblobLocation(container, input.options?.root ?? '', 'options.container');
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
  if (text.startsWith('azblob://')) {
    const rest = text.slice('azblob://'.length);
    const slash = rest.indexOf('/');
    const container = slash === -1 ? rest : rest.slice(0, slash);
    if (container === '') return `"${text}" has no container (expected azblob://container/prefix)`;
    return azblobLocation(container, slash === -1 ? '' : rest.slice(slash + 1), `"${text}"`);
  }
  if (text.startsWith('file://')) {
    try {
      return { kind: 'fs', root: fileURLToPath(text) };
    } catch (error) {
      return `"${text}" is not a valid file URL: ${(error as Error).message}`;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return `unsupported storage URL "${text}" (use s3://bucket/prefix, azblob://container/prefix, file:///dir, a folder, or { scheme, options })`;
  }
  return { kind: 'fs', root: path.resolve(cwd, text) };
}

/**
 * Azure's rule for container names (3 to 63 lowercase letters, digits and single hyphens, a
 * letter or digit at each end; `$root` and `$web` are its special containers): a name it would
 * refuse is a config error here rather than an HTTP 400 at every listing.
 */
const CONTAINER_NAME = /^(?:\$root|\$web|(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*)$/;

function azblobLocation(container: string, prefix: string, shown: string): StorageLocation | string {
  if (!CONTAINER_NAME.test(container)) {
    return `${shown}: "${container}" is not a valid container name (3 to 63 lowercase letters, digits and single hyphens)`;
  }
  return { kind: 'azblob', container, prefix: normalisePrefix(prefix) };
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
    case 'azblob':
      return `azblob://${location.container}/${location.prefix}`;
    case 'opendal':
      return `${location.scheme}://`;
  }
}
