/** Object-created events as S3, MinIO, SNS and EventBridge write them, about objects a test puts in s3rver. */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Operator } from 'opendal';
import type { CertificateSource } from '../../src/discover/index.ts';
import { parquetBytes, tempDir } from './fixtures.ts';

/** What an event about an object carries. */
export interface EventObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly time: string;
}

/** Puts a Parquet file of `rows` rows at `key` (the bucket's full key) and returns what an event about it carries. */
export async function putObject(bucket: Operator, key: string, rows: number, seed = 0): Promise<EventObject> {
  const bytes = parquetBytes(rows, seed);
  await bucket.write(key, bytes);
  const meta = await bucket.stat(key);
  // The size is the bytes written: s3rver's HEAD just after a PUT has answered a length of 0.
  return { key, size: bytes.length, etag: (meta.etag ?? '').replace(/"/g, ''), time: meta.lastModified ?? new Date().toISOString() };
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

/** S3 records inside an SNS notification, as SNS posts it or delivers it to a queue (unsigned: see snsSigner). */
export function snsNotification(records: readonly unknown[]) {
  return {
    Type: 'Notification',
    MessageId: 'm1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ferry',
    Message: JSON.stringify({ Records: records }),
    Timestamp: '2026-12-05T10:00:00.000Z',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
  };
}

/** Signs messages as SNS does, with a certificate of its own served as if from an SNS host. */
export interface SnsSigner {
  /** Where the certificate is said to be (an SNS host). */
  readonly certUrl: string;
  /** What ferry is given in place of fetching the certificate. */
  readonly certificates: CertificateSource;
  /** The message with SigningCertURL, SignatureVersion and Signature set; signed with another key when `forged`. */
  sign<T extends Record<string, unknown>>(message: T, options?: { version?: '1' | '2'; forged?: boolean }): T;
}

/** A self-signed certificate made by openssl, as SNS's is an X.509 certificate (its key is what verifies). */
export function snsSigner(): SnsSigner {
  const dir = tempDir('sns-cert-');
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=sns.amazonaws.com', '-days', '1'],
    {
      stdio: 'ignore',
    },
  );
  const key = fs.readFileSync(keyFile, 'utf8');
  const certificate = fs.readFileSync(certFile, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const certUrl = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';
  return {
    certUrl,
    certificates: async (url) => {
      if (url !== certUrl) throw new Error(`no certificate at ${url}`);
      return certificate;
    },
    sign(message, options = {}) {
      const version = options.version ?? '1';
      const fields =
        message.Type === 'Notification'
          ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
          : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
      const text = fields
        .filter((field) => field !== 'Subject' || message[field] !== undefined)
        .map((field) => `${field}\n${String(message[field] ?? '')}\n`)
        .join('');
      const signature = crypto.sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text), options.forged ? otherKey : key).toString('base64');
      return { ...message, SigningCertURL: certUrl, SignatureVersion: version, Signature: signature };
    },
  };
}
