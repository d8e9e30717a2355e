/**
 * OpenDAL's error text with the cause first. Its own text is `Kind (persistent) at op,
 * context: { uri: …, response: Parts { status, version, headers: {…} }, service, path, … } =>
 * cause`: some 400 characters, with what happened at the very end. People read the first
 * words (a terminal, a table cut to its width, an alert's title), so they get
 * `NoSuchBucket: The specified bucket does not exist (read s3://bucket/in/a.parquet, HTTP 404)`.
 * The whole text stays on the error as its cause. Azure's error codes that people meet when
 * setting a storage up are said in words (`access denied: the account key or SAS token was
 * refused (AuthorizationFailure, list /, HTTP 403)`).
 */

const OPENDAL_HEAD = /^(\w+) \((?:persistent|temporary|permanent)\) at (\w+)/;

const REFUSED = 'access denied: the account key or SAS token was refused';
/** Azure Blob Storage's error codes, in words. */
const AZURE_CODES: Readonly<Record<string, string>> = {
  AuthenticationFailed: REFUSED,
  AuthorizationFailure: REFUSED,
  InvalidAuthenticationInfo: REFUSED,
  AuthorizationResourceTypeMismatch: 'access denied: the SAS token does not cover this kind of resource (it needs container and object)',
  AuthorizationServiceMismatch: 'access denied: the SAS token is not for the blob service',
  ContainerNotFound: 'the container does not exist',
  BlobNotFound: 'the blob does not exist',
};

/** `error`'s message, cause first when it is OpenDAL's; `where` names the object or folder (else OpenDAL's path is used). */
export function storageErrorMessage(error: unknown, where?: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const head = OPENDAL_HEAD.exec(text);
  if (head === null) return text;
  const [, kind, operation] = head;
  const arrow = text.indexOf(' => ');
  const tail = arrow >= 0 ? text.slice(arrow + 4).trim() : '';
  // Settings refused as the operator is built: OpenDAL's own sentence says which one and why.
  if (kind === 'ConfigInvalid' && operation === 'Builder' && tail !== '') return tail;
  const { cause, code } = causeOf(tail, kind as string, operation as string);
  const path = where ?? /\bpath: ([^,}]+)/.exec(text)?.[1]?.trim();
  const status = /\bstatus: (\d{3})\b/.exec(text)?.[1];
  const context = [code, `${operation}${path ? ` ${path}` : ''}`, status ? `HTTP ${status}` : null].filter(Boolean).join(', ');
  return `${cause} (${context})`;
}

/** What happened, from the text after OpenDAL's `=>`; `code` is set when the cause is a service's code said in words. */
function causeOf(tail: string, kind: string, operation: string): { cause: string; code: string | null } {
  const s3 = /S3Error \{ code: "([^"]*)", message: "([^"]*)"/.exec(tail);
  if (s3 !== null) return { cause: `${s3[1]}: ${s3[2]}`, code: null };
  const azure = /AzblobError \{ code: "([^"]*)", message: "([^"]*)"/.exec(tail);
  if (azure !== null) {
    const [, code = '', message = ''] = azure;
    // The token (or the role) lacks the permission for what was done: a listing needs list, a
    // stat or read needs read (a HEAD's refusal has no body, only its code).
    if (code === 'AuthorizationPermissionMismatch') {
      const needed =
        operation === 'list' ? 'listing blobs (a SAS token needs list permission, sp=l)' : 'reading blobs (a SAS token needs read permission, sp=r)';
      return { cause: `access denied: the credentials do not allow ${needed}`, code };
    }
    const words = AZURE_CODES[code];
    if (words !== undefined) return { cause: words, code };
    // Azure's messages end in a request id and a time, which only Azure's support can use.
    const text = message.replace(/\s*RequestId:.*$/s, '');
    return { cause: text === '' ? code : `${code}: ${text}`, code: null };
  }
  // No key or SAS token was given, so OpenDAL asked Azure's managed-identity endpoint, which had none.
  if (/\bIMDS\b/.test(tail)) return { cause: 'no credentials: no account key or SAS token is set, and no managed identity gave a token', code: null };
  // Another service's refusal, without a code of its own.
  if (kind === 'PermissionDenied' && tail === '') return { cause: 'access denied', code: null };
  // Otherwise the innermost cause: the last `: `-separated part (`… tcp connect error: Connection refused (os error 111)`).
  return { cause: tail !== '' ? (tail.split(': ').at(-1) as string) : kind, code: null };
}

/**
 * Whether the store answered (with an HTTP status: a refusal, a missing container) rather than
 * not being reached at all (no connection, a timeout, no credentials to sign with). `error` is
 * OpenDAL's, or an error whose cause is.
 */
export function storeAnswered(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (OPENDAL_HEAD.test(current.message)) return /\bresponse: Parts \{ status: \d{3}\b/.test(current.message);
  }
  return false;
}
