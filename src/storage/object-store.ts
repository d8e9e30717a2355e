/**
 * The object store behind a storage location, through OpenDAL: listing, stat, and the handle
 * that readers use. S3 credentials come from the standard AWS_* variables here and nowhere
 * else, Azure's from the AZURE_STORAGE_* ones, and neither is ever part of anything that is
 * logged or shown.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Operator, RetryLayer } from 'opendal';
import { FerryError } from '../errors/index.ts';
import { compareKeys, listFolder } from './folder-lister.ts';
import { resolveKeyInside } from './inside-root.ts';
import { readLocalRange, statLocalFile } from './local-files.ts';
import { describeStorage, type StorageLocation } from './location.ts';
import { storageErrorMessage } from './storage-error.ts';
import type { StoredObject } from './version.ts';

export type { StoredObject } from './version.ts';

/** How a reader gets at an object's bytes. */
export type ReadTarget =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'cloud'; readonly url: string; readonly cloudOptions: Readonly<Record<string, string>> }
  | { readonly kind: 'operator' };

export interface ObjectStore {
  readonly location: StorageLocation;
  /**
   * Lists objects under a prefix, recursively, a page at a time; with `startAfter`, only keys
   * after it (S3's StartAfter; a local folder skips the subfolders that hold only earlier keys).
   */
  list(prefix: string, pageSize?: number, startAfter?: string | null): AsyncIterable<readonly StoredObject[]>;
  stat(key: string): Promise<StoredObject | null>;
  /** Succeeds when the store answers. */
  check(): Promise<void>;
  read(key: string): Promise<Buffer>;
  /** The whole object as a stream. */
  readStream(key: string): Promise<Readable>;
  /**
   * Reads `length` bytes at `offset`. With an ETag, the read fails (FILE_CHANGED) if the object
   * is no longer that version: what is read is the version recorded.
   */
  readRange(key: string, offset: number, length: number, etag: string | null): Promise<Buffer>;
  readTarget(key: string): ReadTarget;
  /**
   * A store error in words (see storageErrorMessage), with what this store's settings suggest:
   * an emulator's endpoint without the account in its path answers 404 to everything.
   */
  explain(error: unknown, where?: string): string;
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

/** Azure Blob Storage connection settings, from the AZURE_STORAGE_* environment variables. */
export interface AzureSettings {
  readonly accountName: string | undefined;
  readonly accountKey: string | undefined;
  /** Without its leading `?`. */
  readonly sasToken: string | undefined;
  /** The blob service's URL (an emulator's, a private endpoint); else `https://<account>.blob.core.windows.net`. */
  readonly endpoint: string | undefined;
}

/** The connection settings of every kind of store; each store uses its own. Never printed. */
export interface StoreSettings {
  readonly s3: S3Settings;
  readonly azure: AzureSettings;
}

/** Azurite's well-known development account (public, the same in every emulator). */
const DEVELOPMENT_STORAGE = {
  AccountName: 'devstoreaccount1',
  AccountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  BlobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
};

type ConnectionPart = 'AccountName' | 'AccountKey' | 'SharedAccessSignature' | 'BlobEndpoint';

/** A connection string's `Name=value` segments, names in lower case (Azure's SDKs match them without regard to case). */
function connectionSegments(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const segment of text.split(';')) {
    const equals = segment.indexOf('=');
    if (equals > 0) parts.set(segment.slice(0, equals).trim().toLowerCase(), segment.slice(equals + 1).trim());
  }
  return parts;
}

const isDevelopmentStorage = (parts: Map<string, string>): boolean => parts.get('usedevelopmentstorage')?.toLowerCase() === 'true';

/**
 * The parts of an Azure connection string (`AccountName=…;AccountKey=…;EndpointSuffix=…`) that
 * reach the blob service.
 */
function parseConnectionString(text: string | undefined): Partial<Record<ConnectionPart, string>> {
  if (!text) return {};
  const parts = connectionSegments(text);
  if (isDevelopmentStorage(parts)) return { ...DEVELOPMENT_STORAGE };
  const accountName = parts.get('accountname');
  const suffix = parts.get('endpointsuffix') || 'core.windows.net';
  const protocol = parts.get('defaultendpointsprotocol') || 'https';
  const blobEndpoint = parts.get('blobendpoint') || (accountName ? `${protocol}://${accountName}.blob.${suffix}` : undefined);
  return {
    ...(accountName ? { AccountName: accountName } : {}),
    ...(parts.get('accountkey') ? { AccountKey: parts.get('accountkey') } : {}),
    ...(parts.get('sharedaccesssignature') ? { SharedAccessSignature: parts.get('sharedaccesssignature') } : {}),
    ...(blobEndpoint ? { BlobEndpoint: blobEndpoint } : {}),
  };
}

/** Base64 as Azure gives account keys (padded): anything else cannot sign a request. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isHttpUrl = (text: string): boolean => {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
};

/**
 * What is wrong in the AZURE_STORAGE_* variables for an azblob storage, each with the variable
 * it is in (for the config's problems: a CONFIG_INVALID error at start, not a failure at every
 * listing). No value that could be a secret is part of a message.
 */
export function azureSettingsProblems(env: NodeJS.ProcessEnv): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const connectionText = env.AZURE_STORAGE_CONNECTION_STRING?.trim();
  if (connectionText) {
    const parts = connectionSegments(connectionText);
    if (!isDevelopmentStorage(parts)) {
      const has = (name: string) => (parts.get(name.toLowerCase()) ?? '') !== '';
      const missing: string[] = [];
      if (!has('AccountName') && !has('BlobEndpoint') && !env.AZURE_STORAGE_ACCOUNT_NAME && !env.AZURE_STORAGE_ENDPOINT)
        missing.push('no AccountName or BlobEndpoint');
      else if (has('AccountKey') && !has('AccountName') && !env.AZURE_STORAGE_ACCOUNT_NAME)
        missing.push('an AccountKey but no AccountName (a key signs for a named account)');
      if (!has('AccountKey') && !has('SharedAccessSignature') && !env.AZURE_STORAGE_ACCOUNT_KEY && !env.AZURE_STORAGE_SAS_TOKEN)
        missing.push('no AccountKey or SharedAccessSignature');
      if (missing.length > 0) {
        problem(
          'AZURE_STORAGE_CONNECTION_STRING',
          `could not be read: it has ${missing.join(', and ')} (expected AccountName=…;AccountKey=…, or BlobEndpoint=…;SharedAccessSignature=…, as the portal's Access keys or Shared access signature page gives it)`,
        );
      }
      const blobEndpoint = parts.get('blobendpoint');
      if (blobEndpoint && !env.AZURE_STORAGE_ENDPOINT && !isHttpUrl(blobEndpoint)) {
        problem('AZURE_STORAGE_CONNECTION_STRING', 'its BlobEndpoint must be an http(s) URL');
      }
    }
  }
  const settings = azureSettingsFromEnv(env);
  // (No variable at all is said when the store is opened: commands that read only the ledger need none.)
  if (env.AZURE_STORAGE_ACCOUNT_KEY && !settings.accountName && settings.sasToken === undefined) {
    problem(
      'AZURE_STORAGE_ACCOUNT_NAME',
      "is not set: AZURE_STORAGE_ACCOUNT_KEY signs requests for a named account; set AZURE_STORAGE_ACCOUNT_NAME to the storage account's name",
    );
  }
  if (settings.accountKey !== undefined && !BASE64.test(settings.accountKey)) {
    const shown = "is not base64: an account key is the 88-character text of the portal's Access keys page (key1 or key2)";
    if (env.AZURE_STORAGE_ACCOUNT_KEY) problem('AZURE_STORAGE_ACCOUNT_KEY', shown);
    else problem('AZURE_STORAGE_CONNECTION_STRING', `its AccountKey ${shown}`);
  }
  if (env.AZURE_STORAGE_ENDPOINT && !isHttpUrl(env.AZURE_STORAGE_ENDPOINT.trim())) {
    problem(
      'AZURE_STORAGE_ENDPOINT',
      'must be an http(s) URL: the blob service of the account, e.g. https://myaccount.blob.core.windows.net, or http://127.0.0.1:10000/devstoreaccount1 for Azurite',
    );
  }
  return problems;
}

/**
 * Whether an endpoint leaves the account to its path, as emulators (Azurite) do: its path is
 * empty and its host is not an account's own (`<account>.blob.core.windows.net`, a private
 * endpoint's `<account>.privatelink.blob.…`).
 */
function emulatorWithoutAccount(endpoint: string | undefined): URL | null {
  if (endpoint === undefined || !URL.canParse(endpoint)) return null;
  const url = new URL(endpoint);
  return url.pathname.replace(/\/+$/, '') === '' && !/\.blob\./i.test(url.hostname) ? url : null;
}

/** The separate variables win over the connection string's parts. */
export function azureSettingsFromEnv(env: NodeJS.ProcessEnv): AzureSettings {
  const connection = parseConnectionString(env.AZURE_STORAGE_CONNECTION_STRING);
  const sasToken = env.AZURE_STORAGE_SAS_TOKEN || connection.SharedAccessSignature;
  return {
    accountName: env.AZURE_STORAGE_ACCOUNT_NAME || connection.AccountName,
    accountKey: env.AZURE_STORAGE_ACCOUNT_KEY || connection.AccountKey,
    sasToken: sasToken ? sasToken.replace(/^\?/, '') : undefined,
    endpoint: (env.AZURE_STORAGE_ENDPOINT || connection.BlobEndpoint)?.replace(/\/+$/, ''),
  };
}

export function storeSettingsFromEnv(env: NodeJS.ProcessEnv): StoreSettings {
  return { s3: s3SettingsFromEnv(env), azure: azureSettingsFromEnv(env) };
}

function operatorFor(location: StorageLocation, settings: StoreSettings): Operator {
  switch (location.kind) {
    case 'fs':
      return new Operator('fs', { root: location.root });
    case 's3': {
      const { s3 } = settings;
      const options: Record<string, string> = { bucket: location.bucket, region: s3.region, root: '/' };
      if (s3.endpoint) options.endpoint = s3.endpoint;
      if (s3.accessKeyId) options.access_key_id = s3.accessKeyId;
      if (s3.secretAccessKey) options.secret_access_key = s3.secretAccessKey;
      return new Operator('s3', options);
    }
    case 'azblob': {
      const { azure } = settings;
      const endpoint = azure.endpoint ?? (azure.accountName ? `https://${azure.accountName}.blob.core.windows.net` : undefined);
      if (endpoint === undefined) {
        throw new FerryError(
          'CONFIG_INVALID',
          `${describeStorage(location)} needs an account: set AZURE_STORAGE_ACCOUNT_NAME (with AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN), or AZURE_STORAGE_CONNECTION_STRING`,
        );
      }
      // Like S3's bucket, the operator's root is the container; ferry's prefix is part of each key.
      const options: Record<string, string> = { container: location.container, endpoint, root: '/' };
      if (azure.accountName) options.account_name = azure.accountName;
      if (azure.accountKey) options.account_key = azure.accountKey;
      if (azure.sasToken) options.sas_token = azure.sasToken;
      return new Operator('azblob', options);
    }
    case 'opendal':
      return new Operator(location.scheme as never, { ...location.options });
  }
}

/**
 * Keys that cannot be read safely by name: `..` segments could escape the storage root when
 * joined onto a path (or be normalised to another object in a URL), and U+FFFD marks a name
 * whose bytes were not UTF-8, which cannot be given back to the store as it was.
 */
function unsafeKeyReason(key: string): string | null {
  if (key.split('/').some((part) => part === '..')) return 'contains a ".." segment';
  if (key.includes('\0')) return 'contains a NUL byte';
  if (key.includes('\uFFFD')) return 'is not valid UTF-8, so it cannot be read by name';
  return null;
}

function refuseUnsafeKey(key: string): void {
  const reason = unsafeKeyReason(key);
  if (reason !== null) throw new FerryError('KEY_UNREADABLE', `the key ${JSON.stringify(key)} ${reason}; the file is not read`);
}

/**
 * Whether OpenDAL says the object itself is not there: its error kind first (`NotFound …`), not
 * the word anywhere in the text (a key, a path or a service's message may hold it), and not a
 * bucket or container that is missing — that is the storage's fault, not the object's news.
 */
function isObjectNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /^NotFound\b/.test(message) && !/\b(?:ContainerNotFound|NoSuchBucket)\b/.test(message);
}

export function openObjectStore(location: StorageLocation, settings: StoreSettings): ObjectStore {
  // OpenDAL's fs service creates its root folder as it is built: a local operator is built on
  // first use, so that a missing folder is reported by ferry (runtime.ts), not made.
  const build = (): Operator => {
    let operator: Operator;
    try {
      operator = operatorFor(location, settings);
      // Transient store errors (timeouts, 5xx, 429, resets) are retried a few times inside each
      // call; what still fails is retried later through the ledger.
      const retry = new RetryLayer();
      retry.maxTimes = 3;
      retry.minDelay = 200;
      retry.maxDelay = 2_000;
      retry.jitter = true;
      return operator.layer(retry.build());
    } catch (error) {
      if (error instanceof FerryError) throw error;
      // OpenDAL refuses settings as it builds (an account key that is not base64, an endpoint
      // that is not a URL): trying again cannot help, so it is the config that is wrong.
      const code = /^ConfigInvalid\b/.test((error as Error).message) ? 'CONFIG_INVALID' : 'STORAGE_UNREACHABLE';
      throw new FerryError(code, `storage ${describeStorage(location)} could not be opened: ${storageErrorMessage(error)}`, { cause: error });
    }
  };
  let built: Operator | null = location.kind === 'fs' ? null : build();
  const operator = (): Operator => {
    built ??= build();
    return built;
  };
  // On S3 and Azure the operator's root is the bucket or container; ferry's prefix is part of each key it lists.
  const basePrefix = location.kind === 's3' || location.kind === 'azblob' ? location.prefix : '';
  /** An object's address as people write it (s3://bucket/key), for error messages. */
  const objectUrl = (fullKey: string): string | undefined =>
    location.kind === 's3' ? `s3://${location.bucket}/${fullKey}` : location.kind === 'azblob' ? `azblob://${location.container}/${fullKey}` : undefined;
  /** The key to read: in a local folder, the key with its links resolved, refused when they lead outside the root. */
  const readable = (key: string): string => {
    refuseUnsafeKey(key);
    return location.kind === 'fs' ? resolveKeyInside(location.root, key).key : key;
  };

  // An emulator's endpoint without the account in its path: the emulator takes the container
  // for the account, and answers 404 to everything.
  const accountless = location.kind === 'azblob' ? emulatorWithoutAccount(settings.azure.endpoint) : null;
  const explain = (error: unknown, where?: string): string => {
    const message = storageErrorMessage(error, where);
    const text = error instanceof Error ? error.message : '';
    if (accountless !== null && /\bstatus: 404\b/.test(text) && /\b(?:ResourceNotFound|ContainerNotFound)\b/.test(text)) {
      const account = settings.azure.accountName || 'devstoreaccount1';
      return `${message} — AZURE_STORAGE_ENDPOINT has no account in its path, which an emulator needs: e.g. ${accountless.origin}/${account}`;
    }
    return message;
  };
  /**
   * A failed stat or read in words, naming the object (never OpenDAL's URI, whose query can hold
   * a SAS token). A refusal is not transient, but the error table has no code for a storage that
   * refuses: it stays STORAGE_ERROR (retried with backoff, so a token that is fixed is picked up).
   */
  const readFailure = (key: string, error: unknown): FerryError => {
    if (isObjectNotFound(error)) return new FerryError('FILE_NOT_FOUND', `${key} no longer exists`, { cause: error });
    return new FerryError('STORAGE_ERROR', `reading ${key} failed: ${explain(error, objectUrl(basePrefix + key))}`, { cause: error });
  };

  const toObject = (fullPath: string, meta: { contentLength: bigint | null; etag: string | null; lastModified: string | null }): StoredObject => ({
    key: fullPath.slice(basePrefix.length),
    etag: meta.etag,
    size: Number(meta.contentLength ?? 0n),
    lastModified: meta.lastModified,
  });

  return {
    location,
    async *list(prefix, pageSize = 1000, startAfter = null) {
      if (location.kind === 'fs') {
        yield* listFolder(location.root, prefix, pageSize, startAfter);
        return;
      }
      const lister = await operator().lister(basePrefix + prefix, {
        recursive: true,
        limit: pageSize,
        ...(startAfter !== null && location.kind === 's3' ? { startAfter: basePrefix + startAfter } : {}),
      });
      let page: StoredObject[] = [];
      for (;;) {
        const entry = await lister.next();
        if (entry === null) break;
        const entryPath = entry.path();
        if (entryPath.endsWith('/')) continue;
        // Services that cannot start after a key list it all (Azure's listing continues only from
        // its own opaque marker): the earlier keys are left out here.
        if (startAfter !== null && compareKeys(entryPath.slice(basePrefix.length), startAfter) <= 0) continue;
        let meta = entry.metadata();
        // fs listings carry no size or time: ask for them (a local stat is cheap). An entry
        // that cannot be stat'ed (a name that is not UTF-8) is still listed, with what is
        // known, so that it is recorded and quarantined rather than failing the whole listing.
        if (meta.lastModified === null || meta.contentLength === null) {
          try {
            meta = await operator().stat(entryPath);
          } catch {
            if (!entryPath.endsWith('/')) page.push({ key: entryPath.slice(basePrefix.length), etag: null, size: 0, lastModified: null });
            continue;
          }
        }
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
      if (location.kind === 'fs') return statLocalFile(location.root, key);
      try {
        return toObject(basePrefix + key, await operator().stat(basePrefix + key));
      } catch (error) {
        if (isObjectNotFound(error)) return null;
        throw readFailure(key, error);
      }
    },
    async check() {
      // OpenDAL lists a missing folder as empty (and would create it): a local inbox that was
      // moved away or replaced by a file must fail the check, not look like an empty inbox.
      if (location.kind === 'fs') {
        const found = await fs.stat(location.root).catch(() => null);
        if (found === null) throw new Error(`the folder ${location.root} does not exist`);
        if (!found.isDirectory()) throw new Error(`${location.root} is not a folder`);
      }
      // One listing request under the root. (OpenDAL's own check asks for a single key, which
      // makes some S3-compatible servers build a continuation token; a page of up to 1,000
      // keys answers the same question without one in all but the largest folders.)
      const lister = await operator().lister(basePrefix, { limit: 1000 });
      await lister.next();
    },
    async read(key) {
      const real = readable(key);
      return operator()
        .read(basePrefix + real)
        .catch((error: unknown) => {
          throw readFailure(key, error);
        });
    },
    async readStream(key) {
      const real = readable(key);
      // OpenDAL's reader asks for the object's size first: a refusal comes from that stat.
      const reader = await operator()
        .reader(basePrefix + real)
        .catch((error: unknown) => {
          throw readFailure(key, error);
        });
      const stream = reader.createReadStream();
      // A failure once bytes flow (a refusal on a later range) is said the same way.
      async function* relay(): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (error) {
          throw error instanceof FerryError ? error : readFailure(key, error);
        }
      }
      return Readable.from(relay(), { objectMode: false });
    },
    async readRange(key, offset, length, etag) {
      // A local key is read by its real path (links resolved, inside the root), by Node's calls.
      const real = readable(key);
      if (location.kind === 'fs') return readLocalRange(location.root, real, offset, length);
      // A service without conditional reads (WebDAV, Swift, ADLS through azdls…) would refuse the
      // whole read: there, as in a local folder, the bytes are those of the object as it is now.
      const conditional = etag !== null && etag !== '' && operator().capability().readWithIfMatch;
      try {
        return await operator().read(basePrefix + real, { offset: BigInt(offset), size: BigInt(length), ...(conditional ? { ifMatch: etag } : {}) });
      } catch (error) {
        const message = (error as Error).message;
        // The status as OpenDAL writes it, not any "412": Azure's request ids and dates are in the text.
        if (/\bConditionNotMatch\b|PreconditionFailed|\bstatus: 412\b/.test(message)) {
          throw new FerryError('FILE_CHANGED', `${key} changed while it was read`, { cause: error });
        }
        throw readFailure(key, error);
      }
    },
    readTarget(key) {
      refuseUnsafeKey(key);
      switch (location.kind) {
        case 'fs': {
          const full = path.resolve(location.root, key);
          if (!full.startsWith(location.root + path.sep)) {
            throw new FerryError('KEY_UNREADABLE', `key ${JSON.stringify(key)} resolves outside the storage root`);
          }
          // The real path: Polars opens a path that holds no link (see inside-root.ts).
          return { kind: 'path', path: resolveKeyInside(location.root, key).path };
        }
        case 's3': {
          const { s3 } = settings;
          const cloudOptions: Record<string, string> = { aws_region: s3.region };
          if (s3.endpoint) {
            cloudOptions.aws_endpoint_url = s3.endpoint;
            if (s3.endpoint.startsWith('http://')) cloudOptions.aws_allow_http = 'true';
          }
          if (s3.accessKeyId) cloudOptions.aws_access_key_id = s3.accessKeyId;
          if (s3.secretAccessKey) cloudOptions.aws_secret_access_key = s3.secretAccessKey;
          return { kind: 'cloud', url: `s3://${location.bucket}/${basePrefix}${key}`, cloudOptions };
        }
        // Streamed to a temp file through OpenDAL (open-frame.ts), as other OpenDAL services are.
        case 'azblob':
        case 'opendal':
          return { kind: 'operator' };
      }
    },
    explain,
  };
}
