/** Reading object-created events: the three senders' shapes, S3's key encoding, SNS hosts, the storage's bucket and prefix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchedCertificates, isSnsUrl, parseEventBody, snsStringToSign, storageKey } from '../../src/discover/index.ts';

const record = (eventName: string, key: string) => ({
  eventName,
  eventTime: '2026-12-01T10:00:00.000Z',
  s3: { bucket: { name: 'b' }, object: { key, size: 10, eTag: 'abc' } },
});

describe('object events', () => {
  it('reads S3 records (AWS and MinIO event names), decoding keys', () => {
    const body = parseEventBody({
      Records: [record('ObjectCreated:Put', 'in/a+b%2B.csv'), record('s3:ObjectCreated:CompleteMultipartUpload', 'x'), record('ObjectRemoved:Delete', 'y')],
    });
    assert.equal(body.kind, 'events');
    if (body.kind !== 'events') return;
    assert.deepEqual(
      body.events.map((event) => [event.created, event.key]),
      [
        [true, 'in/a b+.csv'],
        [true, 'x'],
        [false, 'y'],
      ],
    );
    assert.deepEqual(body.events[0], { created: true, bucket: 'b', key: 'in/a b+.csv', size: 10, etag: 'abc', time: '2026-12-01T10:00:00.000Z' });
  });

  it('reads EventBridge events (keys as they are) and SNS notifications', () => {
    const bridge = parseEventBody({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      time: '2026-12-01T10:00:00Z',
      detail: { bucket: { name: 'b' }, object: { key: 'in/a+b.csv', size: 3, etag: 'e' } },
    });
    assert.deepEqual(bridge, { kind: 'events', events: [{ created: true, bucket: 'b', key: 'in/a+b.csv', size: 3, etag: 'e', time: '2026-12-01T10:00:00Z' }] });
    const deleted = parseEventBody({ 'detail-type': 'Object Deleted', source: 'aws.s3', detail: {} });
    assert.equal(deleted.kind === 'events' && deleted.events[0]?.created, false);
    const sns = parseEventBody({ Type: 'Notification', Message: JSON.stringify({ Records: [record('ObjectCreated:Put', 'k')] }) });
    assert.equal(sns.kind === 'events' && sns.events[0]?.key, 'k');
    assert.deepEqual(parseEventBody({ Type: 'SubscriptionConfirmation', SubscribeURL: 'https://x', SigningCertURL: 'https://y' }), {
      kind: 'sns-confirmation',
      subscribeUrl: 'https://x',
      signingCertUrl: 'https://y',
    });
    assert.equal(parseEventBody('text').kind, 'unknown');
    assert.equal(parseEventBody({ something: 'else' }).kind, 'unknown');
    // An SNS message is read by its (signed) envelope: Records beside it are not events.
    const enveloped = parseEventBody({
      Type: 'Notification',
      Message: JSON.stringify({ Event: 's3:TestEvent' }),
      Records: [record('ObjectCreated:Put', 'forged')],
    });
    assert.deepEqual(enveloped, { kind: 'events', events: [] });
  });

  it('fetches SNS URLs over https on SNS hosts only', () => {
    assert.equal(isSnsUrl('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription'), true);
    assert.equal(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/cert.pem'), true);
    assert.equal(isSnsUrl('https://sns.us-gov-west-1.amazonaws.com/cert.pem'), true);
    for (const url of [
      // S3 buckets named "sns" (virtual-hosted): anyone could own one.
      'https://sns.s3.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.s3.dualstack.us-east-1.amazonaws.com/x.pem',
      'http://sns.us-east-1.amazonaws.com/',
      'https://sns.us-east-1.amazonaws.com.evil.example/',
      'https://evilsns.us-east-1.amazonaws.com/',
      'https://sns.us-east-1.amazonaws.com:8443/',
      'https://127.0.0.1/',
      'nonsense',
    ])
      assert.equal(isSnsUrl(url), false, url);
  });

  it('places a key under the storage: same bucket, under its prefix', () => {
    const location = { kind: 's3', bucket: 'b', prefix: 'landing/' } as const;
    assert.equal(storageKey(location, { bucket: 'b', key: 'landing/2026/a.csv' }), '2026/a.csv');
    assert.equal(storageKey(location, { bucket: 'other', key: 'landing/a.csv' }), null);
    assert.equal(storageKey(location, { bucket: 'b', key: 'elsewhere/a.csv' }), null);
    assert.equal(storageKey(location, { bucket: 'b', key: 'landing/folder/' }), null);
    assert.equal(storageKey({ kind: 'fs', root: '/srv/in' }, { bucket: 'b', key: 'a.csv' }), null);
  });

  it('builds the text SNS signs: the fields in order, Subject only when present', () => {
    const base = { Type: 'Notification', MessageId: 'm', TopicArn: 't', Message: 'body', Timestamp: 'ts', Signature: 'ignored' };
    assert.equal(snsStringToSign(base), 'Message\nbody\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n');
    assert.equal(snsStringToSign({ ...base, Subject: 's' }), 'Message\nbody\nMessageId\nm\nSubject\ns\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n');
    const confirmation = { Type: 'SubscriptionConfirmation', MessageId: 'm', TopicArn: 't', Message: 'x', Timestamp: 'ts', Token: 'k', SubscribeURL: 'u' };
    assert.equal(
      snsStringToSign(confirmation),
      'Message\nx\nMessageId\nm\nSubscribeURL\nu\nTimestamp\nts\nToken\nk\nTopicArn\nt\nType\nSubscriptionConfirmation\n',
    );
  });

  it('fetches a signing certificate from SNS hosts only, once, and tries again after a failure', async () => {
    const asked: string[] = [];
    let fail = true;
    const fetcher = (async (url: string) => {
      asked.push(url);
      if (fail) return new Response('busy', { status: 503 });
      return new Response('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    }) as typeof fetch;
    const certificates = fetchedCertificates(fetcher);
    const url = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem';
    await assert.rejects(certificates('https://evil.example/x.pem'), /not on an SNS host/);
    await assert.rejects(certificates(url), /answered 503/);
    fail = false;
    assert.match(await certificates(url), /BEGIN CERTIFICATE/);
    await certificates(url);
    assert.deepEqual(asked, [url, url]);
  });
});
