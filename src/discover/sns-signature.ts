/**
 * SNS message signatures. Every message SNS posts (a notification, a subscription or
 * unsubscribe confirmation) is signed with the key of a certificate SNS serves from its own
 * hosts; a message whose signature does not verify was not sent by SNS and is refused. The
 * certificate is fetched only from an https URL on an SNS host (isSnsUrl), and kept for the
 * life of the process (SNS rotates them rarely).
 *
 * What is signed (AWS's "Verifying the signatures of Amazon SNS messages"): the message's
 * fields, each as its name, a newline, its value and a newline, in this order — for a
 * notification Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type; for
 * the confirmations Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 * SignatureVersion 1 is SHA1 with RSA, 2 SHA256 with RSA.
 */
import crypto from 'node:crypto';
import { isSnsUrl, SNS_TYPES } from './object-events.ts';

/** Gets a certificate's PEM text from an SNS URL. */
export type CertificateSource = (url: string) => Promise<string>;

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** Whether a body is one of SNS's own messages (and so must carry SNS's signature). */
export function isSnsMessage(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && SNS_TYPES.has(String((body as Record<string, unknown>).Type));
}

/** The text SNS signed for a message. */
export function snsStringToSign(message: Readonly<Record<string, unknown>>): string {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let text = '';
  for (const field of fields) {
    const value = message[field];
    if (field === 'Subject' && (value === undefined || value === null)) continue;
    text += `${field}\n${String(value ?? '')}\n`;
  }
  return text;
}

/** Why a message's signature is not SNS's (`retry`: the certificate could not be had, which may pass), or null when it verifies. */
export async function snsSignatureProblem(
  message: Readonly<Record<string, unknown>>,
  certificates: CertificateSource,
): Promise<{ readonly problem: string; readonly retry: boolean } | null> {
  const refused = (problem: string) => ({ problem, retry: false });
  const certUrl = typeof message.SigningCertURL === 'string' ? message.SigningCertURL : null;
  if (certUrl === null || !isSnsUrl(certUrl) || !/^\/SimpleNotificationService-[0-9a-f]+\.pem$/.test(new URL(certUrl).pathname)) {
    return refused("SigningCertURL is not SNS's certificate (https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem)");
  }
  const version = String(message.SignatureVersion ?? '');
  const algorithm = version === '1' ? 'sha1' : version === '2' ? 'sha256' : null;
  if (algorithm === null) return refused(`SignatureVersion ${JSON.stringify(message.SignatureVersion ?? null)} is not 1 or 2`);
  if (typeof message.Signature !== 'string' || message.Signature === '') return refused('the message has no Signature');
  let certificate: string;
  try {
    certificate = await certificates(certUrl);
  } catch (error) {
    return { problem: `the signing certificate could not be fetched: ${(error as Error).message}`, retry: true };
  }
  try {
    const verified = crypto.verify(
      algorithm,
      Buffer.from(snsStringToSign(message)),
      crypto.createPublicKey(certificate),
      Buffer.from(message.Signature, 'base64'),
    );
    return verified ? null : refused('the signature does not match the message (not signed by SNS, or changed on the way)');
  } catch (error) {
    return refused(`the signature could not be checked: ${(error as Error).message}`);
  }
}

/** Certificates from SNS's hosts over https, each fetched once (at most 64 kept; a certificate is a few KiB). */
export function fetchedCertificates(fetcher: typeof fetch = fetch): CertificateSource {
  const kept = new Map<string, Promise<string>>();
  return (url) => {
    if (!isSnsUrl(url)) return Promise.reject(new Error(`${url} is not on an SNS host`));
    let certificate = kept.get(url);
    if (certificate === undefined) {
      certificate = (async () => {
        const response = await fetcher(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        const text = await response.text();
        if (text.length > 64 * 1024 || !text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${url} did not answer with a certificate`);
        return text;
      })();
      // A failure is not kept: the next message tries again.
      certificate.catch(() => kept.delete(url));
      if (kept.size >= 64) kept.delete(kept.keys().next().value as string);
      kept.set(url, certificate);
    }
    return certificate;
  };
}
