/**
 * For tests of crash isolation: loaded into ferry's processes with NODE_OPTIONS=--import (see
 * `abortingReaderEnv`). In a reader process, a request about a file whose key contains
 * FERRY_TEST_READER_ABORT_ON aborts the process, as a native Polars panic does. ferry itself
 * ships no such switch.
 */
const abortOn = process.env.FERRY_TEST_READER_ABORT_ON;

interface Message {
  readonly request?: { readonly args?: { readonly files?: readonly ({ readonly key?: string; readonly file?: { readonly key?: string } } | undefined)[] } };
}

// Only a reader process has an IPC channel to its parent; this listener runs before the reader's own.
if (abortOn !== undefined && abortOn !== '' && process.send !== undefined) {
  process.on('message', (message: Message) => {
    const keys = (message.request?.args?.files ?? []).map((each) => each?.file?.key ?? each?.key);
    if (keys.some((key) => typeof key === 'string' && key.includes(abortOn))) process.abort();
  });
}
