/** Object-created events as S3, MinIO, SNS and EventBridge write them, about objects a test puts in s3rver. */
import type { Operator } from 'opendal';
import { parquetBytes } from './fixtures.ts';

/** What an event about an object carries. */
export interface EventObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly time: string;
}

/** Puts a Parquet file of `rows` rows at `key` (the bucket's full key) and returns what an event about it carries. */
export async function putObject(bucket: Operator, key: string, rows: number, seed = 0): Promise<EventObject> {
  await bucket.write(key, parquetBytes(rows, seed));
  const meta = await bucket.stat(key);
  return { key, size: Number(meta.contentLength), etag: (meta.etag ?? '').replace(/"/g, ''), time: meta.lastModified ?? new Date().toISOString() };
}

/** S3's URL encoding of a key in a notification: form encoding, `+` for a space. */
export const encodeS3Key = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** One of S3's notification records (as MinIO's webhook and S3 itself send them). */
export function s3Record(bucketName: string, object: EventObject, eventName = 'ObjectCreated:Put') {
  return {
    eventVersion: '2.0',
    eventSource: 'minio:s3',
    eventName,
    eventTime: object.time,
    s3: { bucket: { name: bucketName }, object: { key: encodeS3Key(object.key), size: object.size, eTag: object.etag, sequencer: '1' } },
  };
}

/** EventBridge's "Object Created" event (the key is not URL-encoded there). */
export function eventBridge(bucketName: string, object: EventObject) {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    time: object.time,
    region: 'us-east-1',
    detail: { version: '0', bucket: { name: bucketName }, object: { key: object.key, size: object.size, etag: object.etag }, reason: 'PutObject' },
  };
}

/** S3 records inside an SNS notification, as SNS posts it or delivers it to a queue. */
export function snsNotification(records: readonly unknown[]) {
  return {
    Type: 'Notification',
    MessageId: 'm1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ferry',
    Message: JSON.stringify({ Records: records }),
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
  };
}
