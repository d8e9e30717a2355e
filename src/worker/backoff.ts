/**
 * Capped exponential backoff with jitter: attempt n waits between half and all of
 * min(maxDelay, baseDelay × 2^(n-1)). The jitter spreads out retries of files that failed
 * together (one storage outage), so they do not all hit the store again at the same moment.
 */
export function retryDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
