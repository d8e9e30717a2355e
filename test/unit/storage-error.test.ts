/** OpenDAL's long error texts, cause first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageErrorMessage, storeAnswered } from '../../src/storage/index.ts';

const HEADERS = '{"content-type": "application/xml", "content-length": "172", "date": "Fri, 04 Dec 2026 23:22:29 GMT", "connection": "keep-alive"}';

describe('storageErrorMessage', () => {
  it('puts an S3 error code and message first, with where it happened', () => {
    const text = `ConfigInvalid (persistent) at read, context: { uri: http://127.0.0.1:38561/no-such-bucket/in/a.parquet, response: Parts { status: 404, version: HTTP/1.1, headers: ${HEADERS} }, service: s3, path: in/a.parquet, range: 0- } => S3Error { code: "NoSuchBucket", message: "The specified bucket does not exist", resource: "", request_id: "" }`;
    assert.equal(storageErrorMessage(new Error(text)), 'NoSuchBucket: The specified bucket does not exist (read in/a.parquet, HTTP 404)');
    assert.equal(
      storageErrorMessage(new Error(text), 's3://no-such-bucket/in/a.parquet'),
      'NoSuchBucket: The specified bucket does not exist (read s3://no-such-bucket/in/a.parquet, HTTP 404)',
    );
  });

  it('keeps the innermost cause of a network error', () => {
    const text =
      'Unexpected (temporary) at list, context: { uri: http://127.0.0.1:9/bucket?list-type=2, service: s3, path: x/, listed: 0 } => send http request, source: error sending request for url (http://127.0.0.1:9/bucket?list-type=2): client error (Connect): tcp connect error: Connection refused (os error 111)';
    assert.equal(storageErrorMessage(new Error(text)), 'Connection refused (os error 111) (list x/)');
  });

  it("says Azure's codes for a refused key and a missing container in words, without the request id", () => {
    const refused = `PermissionDenied (persistent) at list, context: { uri: http://127.0.0.1:10000/acct/box?restype=container&comp=list&prefix=in/, response: Parts { status: 403, version: HTTP/1.1, headers: ${HEADERS} }, service: azblob, path: in/, listed: 0 } => AzblobError { code: "AuthorizationFailure", message: "Server failed to authenticate the request. RequestId:89c31730 Time:2026-12-05T03:19:44.413Z" }`;
    assert.equal(storageErrorMessage(new Error(refused)), 'access denied: the account key or SAS token was refused (AuthorizationFailure, list in/, HTTP 403)');
    const missing = refused.replace('AuthorizationFailure', 'ContainerNotFound').replace('403', '404');
    assert.equal(storageErrorMessage(new Error(missing)), 'the container does not exist (ContainerNotFound, list in/, HTTP 404)');
    const other = refused.replace('AuthorizationFailure', 'ServerBusy').replace('403', '503');
    assert.equal(storageErrorMessage(new Error(other)), 'ServerBusy: Server failed to authenticate the request. (list in/, HTTP 503)');
    const built =
      'ConfigInvalid (permanent) at Builder::build, context: { service: azblob, key: account_key } => invalid account_key: cannot decode as base64: Invalid symbol 32, offset 3.';
    assert.equal(storageErrorMessage(new Error(built)), 'invalid account_key: cannot decode as base64: Invalid symbol 32, offset 3.');
  });

  it('a permission the SAS token lacks: says which, by what was done, and never the URI with its query', () => {
    // A HEAD (stat) refusal carries Azure's code in a header only: OpenDAL's message is empty.
    const stat = `PermissionDenied (permanent) at stat, context: { uri: http://127.0.0.1:10000/acct/box/in/a.csv?sp=l&ss=b&srt=co&sig=c2VjcmV0, response: Parts { status: 403, version: HTTP/1.1, headers: {"x-ms-error-code": "AuthorizationPermissionMismatch"} }, service: azblob, path: in/a.csv } => AzblobError { code: "AuthorizationPermissionMismatch", message: "" }`;
    const message = storageErrorMessage(new Error(stat), 'azblob://box/in/a.csv');
    assert.equal(
      message,
      'access denied: the credentials do not allow reading blobs (a SAS token needs read permission, sp=r) (AuthorizationPermissionMismatch, stat azblob://box/in/a.csv, HTTP 403)',
    );
    assert.ok(!message.includes('sig=') && !message.includes('?'), message);
    const list = stat.replace(' at stat,', ' at list,');
    assert.match(
      storageErrorMessage(new Error(list)),
      /^access denied: the credentials do not allow listing blobs \(a SAS token needs list permission, sp=l\)/,
    );
  });

  it('tells a store that answered (an HTTP status) from one that was not reached', () => {
    const refused = `PermissionDenied (persistent) at list, context: { uri: http://h/b?list-type=2, response: Parts { status: 403, version: HTTP/1.1, headers: ${HEADERS} }, service: s3, path: in/, listed: 0 } => S3Error { code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.", resource: "", request_id: "" }`;
    const down =
      'Unexpected (temporary) at list, context: { uri: http://127.0.0.1:9/bucket?list-type=2, service: s3, path: x/, listed: 0 } => send http request, source: error sending request for url (http://127.0.0.1:9/bucket?list-type=2): client error (Connect): tcp connect error: Connection refused (os error 111)';
    assert.equal(storeAnswered(new Error(refused)), true);
    assert.equal(storeAnswered(new Error('wrapped', { cause: new Error(refused) })), true);
    assert.equal(storeAnswered(new Error(down)), false);
    assert.equal(storeAnswered(new Error('no answer within 10s')), false);
  });

  it('leaves any other text as it is', () => {
    assert.equal(storageErrorMessage(new Error('the folder /srv/in does not exist')), 'the folder /srv/in does not exist');
  });
});
