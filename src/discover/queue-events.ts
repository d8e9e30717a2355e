/**
 * Object-created events from an SQS queue (`source.events: { sqs }`). S3 sends its
 * notifications to a queue directly, through SNS or through EventBridge, and the queue keeps
 * them while ferry is down or its database is out. ferry long-polls the queue, reads each
 * message as `POST /events` reads a body (parseEventBody), records it with the same
 * statements (recordEvents), and deletes it only after those statements committed. A crash or
 * an outage in between leaves it on the queue: it is received again after its visibility
 * timeout and finds its versions recorded (at least once in, exactly once recorded). Messages that are no object event (S3's test event, anything else) are deleted
 * with a warning: kept, they would come back for ever.
 *
 * The AWS SDK is loaded only when a pipeline has a queue.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/index.ts';
import { errorMessage } from '../errors/index.ts';
import { type EventCounts, type ObjectEvent, parseEventBody } from './object-events.ts';

export interface QueueConsumerOptions {
  readonly queueUrl: string;
  /** The queue's region when its URL does not say it (AWS_REGION). */
  readonly region: string;
  /** Keys from the AWS_* variables; without them the SDK's own chain (instance roles, profiles) is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Records one message's events; resolves once its statements committed. */
  readonly record: (events: readonly ObjectEvent[]) => Promise<EventCounts>;
  /** Told what each recorded message gave (to run its pipelines, to count). */
  readonly onRecorded?: (counts: EventCounts) => void;
  /** Told of each failed poll (a receive, a recording or a delete), to count. */
  readonly onFailure?: () => void;
  /**
   * Resolves when messages could be recorded (the database answers); asked after a failure,
   * before the next receive. While it fails, nothing is received: each receive of a message
   * that cannot be recorded counts towards the queue's redrive limit.
   */
  readonly ready?: () => Promise<unknown>;
  readonly log: Logger;
  /** Long-poll wait of a receive, in seconds (SQS allows 0 to 20). @default 20 */
  readonly waitSeconds?: number;
  /** Seconds a received message stays hidden from other receivers; unset: the queue's own setting. */
  readonly visibilityTimeoutSeconds?: number;
  /** The first wait after a failure, doubled up to a minute. @default 1000 */
  readonly retryDelayMs?: number;
}

export interface QueueConsumer {
  /** Stops polling (an open long poll is aborted) and resolves when the loop has ended. */
  stop(): Promise<void>;
}

/** SQS gives at most 10 messages a receive. */
const BATCH = 10;
const MAX_RETRY_DELAY_MS = 60_000;
/** A request to the queue that has not answered in this time (beyond a receive's long-poll wait) is given up. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The region in an AWS queue URL (`sqs.eu-west-1.amazonaws.com`, `eu-west-1.queue.amazonaws.com`), or null. */
export function queueRegion(queueUrl: string): string | null {
  try {
    const host = new URL(queueUrl).hostname;
    // queue.amazonaws.com is the old name of us-east-1's endpoint.
    if (host === 'queue.amazonaws.com') return 'us-east-1';
    return /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The object events of one message's body, or why it holds none ferry knows. */
export function messageEvents(body: string | undefined): { events: readonly ObjectEvent[] } | { reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { reason: 'the message body is not JSON' };
  }
  const read = parseEventBody(parsed);
  if (read.kind === 'events') return { events: read.events };
  if (read.kind === 'sns-confirmation') {
    return { reason: `an SNS subscription confirmation: confirm the queue's subscription in SNS (or visit its SubscribeURL ${read.subscribeUrl})` };
  }
  return { reason: read.reason };
}

/** How to reach a queue: its URL, the region when the URL does not say it, and keys if given. */
export type QueueAccess = Pick<QueueConsumerOptions, 'queueUrl' | 'region' | 'credentials'>;

/**
 * The queues of a config's pipelines (`source.events: { sqs }`), each once, with the AWS_*
 * settings S3 uses: region, and keys when they are set (else the SDK's own chain).
 */
export function configuredQueues(config: Pick<ResolvedConfig, 'pipelines' | 'stores' | 'origin'>, pipelines = config.pipelines): QueueAccess[] {
  const urls = new Set(pipelines.flatMap((pipeline) => (pipeline.source.events?.kind === 'sqs' ? [pipeline.source.events.queueUrl] : [])));
  const { accessKeyId, secretAccessKey, region } = config.stores.s3;
  const sessionToken = config.origin.env.AWS_SESSION_TOKEN;
  const credentials = accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {};
  return [...urls].map((queueUrl) => ({ queueUrl, region, ...credentials }));
}

async function queueClient(access: QueueAccess): Promise<{ sqs: typeof import('@aws-sdk/client-sqs'); client: SQSClient }> {
  const sqs = await import('@aws-sdk/client-sqs');
  // The queue's own URL is the endpoint (AWS's, or an emulator's): AWS_ENDPOINT_URL, which may
  // point at an S3-compatible store, must not send queue requests there.
  const client = new sqs.SQSClient({
    endpoint: new URL(access.queueUrl).origin,
    region: queueRegion(access.queueUrl) ?? access.region,
    ...(access.credentials ? { credentials: { ...access.credentials } } : {}),
    maxAttempts: 2,
  });
  return { sqs, client };
}

/** Asks the queue how many messages wait in it (`ferry check`): it answers, and the credentials may read it. */
export async function checkQueue(access: QueueAccess): Promise<{ readonly waiting: number }> {
  const { sqs, client } = await queueClient(access);
  try {
    const answer = await client.send(new sqs.GetQueueAttributesCommand({ QueueUrl: access.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }), {
      abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { waiting: Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) };
  } finally {
    client.destroy();
  }
}

export async function startQueueConsumer(options: QueueConsumerOptions): Promise<QueueConsumer> {
  const { sqs, client } = await queueClient(options);
  const log = options.log.child({ queue: options.queueUrl });
  const abort = new AbortController();
  const waitSeconds = options.waitSeconds ?? 20;
  const firstDelay = options.retryDelayMs ?? 1_000;
  let delay = firstDelay;

  /** Waits `ms`, or less when the consumer stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const stopped = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        abort.signal.removeEventListener('abort', stopped);
        resolve();
      }, ms);
      abort.signal.addEventListener('abort', stopped, { once: true });
    });

  /** Receives a batch, records each message, and deletes those recorded; throws when some could not be. */
  const pollOnce = async (): Promise<void> => {
    const received = await client.send(
      new sqs.ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: BATCH,
        WaitTimeSeconds: waitSeconds,
        ...(options.visibilityTimeoutSeconds === undefined ? {} : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
      }),
      // A half-open connection must not hold the consumer (or its stop) for ever.
      { abortSignal: AbortSignal.any([abort.signal, AbortSignal.timeout(waitSeconds * 1000 + REQUEST_TIMEOUT_MS)]) },
    );
    const messages: Message[] = received.Messages ?? [];
    // Each message is recorded on its own (its statements committed) and only then deleted: one
    // whose object the store will not answer for stays on the queue without holding back the
    // others received with it.
    const done: Message[] = [];
    const failures: unknown[] = [];
    for (const message of messages) {
      const read = messageEvents(message.Body);
      if ('reason' in read) {
        log.warn({ message: message.MessageId }, `a queue message holds no object event and is deleted: ${read.reason}`);
        done.push(message);
        continue;
      }
      try {
        const counts = await options.record(read.events);
        options.onRecorded?.(counts);
        done.push(message);
      } catch (error) {
        failures.push(error);
        log.warn({ message: message.MessageId, err: error }, `a queue message could not be recorded and stays on the queue: ${errorMessage(error)}`);
      }
    }
    if (done.length > 0) {
      const deleted = await client.send(
        new sqs.DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
        { abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      );
      for (const failed of deleted.Failed ?? []) {
        // It comes back after its visibility timeout and is then a repeat: recorded once all the same.
        log.warn(
          { message: done[Number(failed.Id)]?.MessageId, code: failed.Code },
          `a recorded queue message could not be deleted: ${failed.Message ?? failed.Code}`,
        );
      }
    }
    // Back off when messages failed (the database or the store may be out): received again at
    // once, they would only count towards the queue's redrive limit.
    if (failures.length > 0) throw new Error(`${failures.length} of ${messages.length} message(s) could not be recorded: ${errorMessage(failures[0])}`);
  };

  const loop = (async () => {
    log.info('polling the queue for object-created events');
    let failed = false;
    while (!abort.signal.aborted) {
      try {
        if (failed) await options.ready?.();
        await pollOnce();
        delay = firstDelay;
        failed = false;
      } catch (error) {
        failed = true;
        if (abort.signal.aborted) break;
        options.onFailure?.();
        log.warn({ err: error, retryInMs: delay }, `polling the queue failed (its messages stay on the queue): ${errorMessage(error)}`);
        await pause(delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  })();

  return {
    async stop() {
      abort.abort();
      await loop;
      client.destroy();
    },
  };
}
