/** OpenDAL's long error texts, cause first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageErrorMessage } from '../../src/storage/index.ts';

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

  it('leaves any other text as it is', () => {
    assert.equal(storageErrorMessage(new Error('the folder /srv/in does not exist')), 'the folder /srv/in does not exist');
  });
});
