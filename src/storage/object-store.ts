/**
 * The object store behind a storage location, through OpenDAL: listing, stat, and the handle
 * that readers use. S3 credentials come from the standard AWS_* variables here and nowhere
 * else, and are never part of anything that is logged or shown.
 */
import path from 'node:path';
import { Operator, RetryLayer } from 'opendal';
import { FerryError } from '../errors.ts';
import type { StorageLocation } from './location.ts';
import type { ObjectVersion } from './version.ts';

export interface StoredObject extends ObjectVersion {
  /** Key relative to the storage root, with `/` separators. */
  readonly key: string;
}

/** How a reader gets at an object's bytes. */
export type ReadTarget =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'cloud'; readonly url: string; readonly cloudOptions: Readonly<Record<string, string>> }
  | { readonly kind: 'operator' };

export interface ObjectStore {
  readonly location: StorageLocation;
  /** Lists objects under a prefix, recursively, a page at a time. */
  list(prefix: string, pageSize?: number): AsyncIterable<readonly StoredObject[]>;
  stat(key: string): Promise<StoredObject | null>;
  /** Succeeds when the store answers. */
  check(): Promise<void>;
  read(key: string): Promise<Buffer>;
  readTarget(key: string): ReadTarget;
}

/** S3 connection settings, from the standard AWS_* environment variables. */
export interface S3Settings {
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
}

export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
  };
}

function operatorFor(location: StorageLocation, s3: S3Settings): Operator {
  switch (location.kind) {
    case 'fs':
      return new Operator('fs', { root: location.root });
    case 's3': {
      const options: Record<string, string> = { bucket: location.bucket, region: s3.region, root: '/' };
      if (s3.endpoint) options.endpoint = s3.endpoint;
      if (s3.accessKeyId) options.access_key_id = s3.accessKeyId;
      if (s3.secretAccessKey) options.secret_access_key = s3.secretAccessKey;
      return new Operator('s3', options);
    }
    case 'opendal':
      return new Operator(location.scheme as never, { ...location.options });
  }
}

/** Keys that could escape the storage root when joined onto a local path. */
function isUnsafeKey(key: string): boolean {
  return key.split('/').some((part) => part === '..') || key.includes('\0');
}

export function openObjectStore(location: StorageLocation, s3: S3Settings): ObjectStore {
  let operator: Operator;
  try {
    operator = operatorFor(location, s3);
    // Transient store errors (timeouts, 5xx, 429, resets) are retried a few times inside each
    // call; what still fails is retried later through the ledger.
    const retry = new RetryLayer();
    retry.maxTimes = 3;
    retry.minDelay = 200;
    retry.maxDelay = 2_000;
    retry.jitter = true;
    operator = operator.layer(retry.build());
  } catch (error) {
    throw new FerryError('STORAGE_UNREACHABLE', `storage could not be opened: ${(error as Error).message}`, { cause: error });
  }
  // On S3 the operator's root is the bucket; ferry's prefix is part of each key it lists.
  const basePrefix = location.kind === 's3' ? location.prefix : '';

  const toObject = (fullPath: string, meta: { contentLength: bigint | null; etag: string | null; lastModified: string | null }): StoredObject => ({
    key: fullPath.slice(basePrefix.length),
    etag: meta.etag,
    size: Number(meta.contentLength ?? 0n),
    lastModified: meta.lastModified,
  });

  return {
    location,
    async *list(prefix, pageSize = 1000) {
      const lister = await operator.lister(basePrefix + prefix, { recursive: true, limit: pageSize });
      let page: StoredObject[] = [];
      for (;;) {
        const entry = await lister.next();
        if (entry === null) break;
        const entryPath = entry.path();
        if (entryPath.endsWith('/')) continue;
        let meta = entry.metadata();
        // fs listings carry no size or time: ask for them (a local stat is cheap).
        if (meta.lastModified === null || meta.contentLength === null) meta = await operator.stat(entryPath);
        if (!meta.isFile()) continue;
        page.push(toObject(entryPath, meta));
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async stat(key) {
      try {
        return toObject(basePrefix + key, await operator.stat(basePrefix + key));
      } catch (error) {
        if (/NotFound/i.test((error as Error).message)) return null;
        throw error;
      }
    },
    async check() {
      await operator.check();
    },
    async read(key) {
      return operator.read(basePrefix + key);
    },
    readTarget(key) {
      if (isUnsafeKey(key)) throw new FerryError('FILE_UNREADABLE', `key ${JSON.stringify(key)} contains ".." or NUL and is refused`, { step: 'read' });
      switch (location.kind) {
        case 'fs': {
          const full = path.resolve(location.root, key);
          if (!full.startsWith(location.root + path.sep)) {
            throw new FerryError('FILE_UNREADABLE', `key ${JSON.stringify(key)} resolves outside the storage root`, { step: 'read' });
          }
          return { kind: 'path', path: full };
        }
        case 's3': {
          const cloudOptions: Record<string, string> = { aws_region: s3.region };
          if (s3.endpoint) {
            cloudOptions.aws_endpoint_url = s3.endpoint;
            if (s3.endpoint.startsWith('http://')) cloudOptions.aws_allow_http = 'true';
          }
          if (s3.accessKeyId) cloudOptions.aws_access_key_id = s3.accessKeyId;
          if (s3.secretAccessKey) cloudOptions.aws_secret_access_key = s3.secretAccessKey;
          return { kind: 'cloud', url: `s3://${location.bucket}/${basePrefix}${key}`, cloudOptions };
        }
        case 'opendal':
          return { kind: 'operator' };
      }
    },
  };
}
