/**
 * An SQS queue for tests, speaking the AWS JSON protocol that the AWS SDK for JavaScript uses
 * (`X-Amz-Target: AmazonSQS.<Action>`): SendMessage, ReceiveMessage with long polling and a
 * visibility timeout, DeleteMessage and DeleteMessageBatch, GetQueueAttributes (the messages
 * waiting), with the MD5 of each body that the SDK checks. No SQS emulator that speaks this protocol installs from the npm registry; this
 * one holds the semantics ferry relies on — a received message is hidden until its visibility
 * timeout and then received again unless it was deleted with its receipt handle — and counts
 * the requests, so that tests can see what a consumer did.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  /** Hidden until then (ms since the epoch) after a receive. */
  visibleAt: number;
  receiptHandle: string | null;
  receives: number;
}

export interface SqsServer {
  /** The queue's URL (`http://127.0.0.1:<port>/000000000000/<name>`). */
  readonly queueUrl: string;
  send(body: string): string;
  /** Messages not deleted yet (visible or in flight). */
  readonly depth: number;
  /** Requests by action. */
  readonly requests: Readonly<Record<string, number>>;
  /** How often each message body was received (by message id). */
  receivesOf(id: string): number;
  /** While true, every request answers 500 (an outage of the queue). */
  failing: boolean;
  stop(): Promise<void>;
}

export async function startSqsServer(name = 'ferry-events', options: { visibilityTimeoutSeconds?: number } = {}): Promise<SqsServer> {
  const messages: StoredMessage[] = [];
  const requests: Record<string, number> = {};
  const receives = new Map<string, number>();
  const waiting = new Set<() => void>();
  const defaultVisibility = options.visibilityTimeoutSeconds ?? 30;
  const state = { failing: false };

  const reply = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(body));
  };
  const visible = () => messages.filter((message) => message.visibleAt <= Date.now());
  const remove = (handle: string | undefined) => {
    const index = messages.findIndex((message) => handle !== undefined && message.receiptHandle === handle);
    if (index === -1) return false;
    messages.splice(index, 1);
    return true;
  };

  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    request.on('end', () => {
      const action = String(request.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      requests[action] = (requests[action] ?? 0) + 1;
      if (state.failing) return reply(response, 500, { __type: 'com.amazonaws.sqs#InternalError', message: 'the queue is failing (test)' });
      const input = JSON.parse(raw || '{}') as Record<string, unknown>;
      switch (action) {
        case 'SendMessage': {
          const id = crypto.randomUUID();
          messages.push({ id, body: String(input.MessageBody), visibleAt: 0, receiptHandle: null, receives: 0 });
          for (const wake of waiting) wake();
          const md5 = crypto.createHash('md5').update(String(input.MessageBody)).digest('hex');
          return reply(response, 200, { MessageId: id, MD5OfMessageBody: md5 });
        }
        case 'ReceiveMessage': {
          const max = Number(input.MaxNumberOfMessages ?? 1);
          const visibility = Number(input.VisibilityTimeout ?? defaultVisibility);
          const deliver = () => {
            const batch = visible().slice(0, max);
            for (const message of batch) {
              message.visibleAt = Date.now() + visibility * 1000;
              message.receiptHandle = crypto.randomUUID();
              message.receives++;
              receives.set(message.id, message.receives);
            }
            reply(response, 200, {
              Messages: batch.map((message) => ({
                MessageId: message.id,
                ReceiptHandle: message.receiptHandle,
                MD5OfBody: crypto.createHash('md5').update(message.body).digest('hex'),
                Body: message.body,
              })),
            });
          };
          if (visible().length > 0) return deliver();
          // Long polling: answer when a message is sent or becomes visible, or when the wait ends.
          const waitMs = Number(input.WaitTimeSeconds ?? 0) * 1000;
          let done = false;
          const finish = () => {
            if (done) return;
            done = true;
            waiting.delete(wake);
            clearTimeout(timer);
            clearInterval(tick);
            deliver();
          };
          const wake = () => setImmediate(finish);
          const timer = setTimeout(finish, waitMs);
          const tick = setInterval(() => {
            if (visible().length > 0) finish();
          }, 100);
          waiting.add(wake);
          response.on('close', () => {
            done = true;
            waiting.delete(wake);
            clearTimeout(timer);
            clearInterval(tick);
          });
          return;
        }
        case 'GetQueueAttributes':
          return reply(response, 200, { Attributes: { ApproximateNumberOfMessages: String(visible().length) } });
        case 'DeleteMessage':
          if (!remove(input.ReceiptHandle as string | undefined))
            return reply(response, 400, { __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid', message: 'unknown receipt handle' });
          return reply(response, 200, {});
        case 'DeleteMessageBatch': {
          const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
          const successful: { Id: string }[] = [];
          const failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
          for (const entry of entries) {
            if (remove(entry.ReceiptHandle)) successful.push({ Id: entry.Id });
            else failed.push({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'unknown receipt handle' });
          }
          return reply(response, 200, { Successful: successful, Failed: failed });
        }
        default:
          return reply(response, 400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `${action} is not supported here` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const queueUrl = `http://127.0.0.1:${port}/000000000000/${name}`;
  return {
    queueUrl,
    send(body) {
      const id = crypto.randomUUID();
      messages.push({ id, body, visibleAt: 0, receiptHandle: null, receives: 0 });
      for (const wake of waiting) wake();
      return id;
    },
    get depth() {
      return messages.length;
    },
    requests,
    receivesOf: (id) => receives.get(id) ?? 0,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
