/**
 * What a reader process does once its watchdog runs (see reader-process.ts): it loads the same
 * config as its parent (so transform functions work), then answers the reader API's requests
 * (readers/protocol.ts) one message at a time with the pipeline's handlers. If Polars aborts
 * the process, only the file in hand is lost, and the parent records why.
 */
import { loadConfig, type ResolvedConfig, resolveConfig } from '../config/index.ts';
import { coerceError, FerryError } from '../errors/index.ts';
import { type ReaderEnvelope, type ReaderHandlers, type ReaderReply, type ReaderRequest, serializeError } from '../readers/index.ts';
import { openObjectStore } from '../storage/index.ts';
import { FramePipeline } from './pipeline.ts';

let pipeline: FramePipeline | null = null;

async function handle(request: ReaderRequest): Promise<unknown> {
  if (request.method === 'init') {
    const { origin, options } = request.args;
    // The parent validated this config: it is not checked again (nor zod loaded) here.
    const context = { cwd: origin.cwd, env: origin.env as NodeJS.ProcessEnv, flags: origin.flags, trusted: true };
    const config: ResolvedConfig = origin.configFile !== null ? await loadConfig(context) : resolveConfig(origin.raw, { ...context, configFile: null });
    pipeline = new FramePipeline(config, openObjectStore(config.storage, config.stores), options);
    return null;
  }
  if (pipeline === null) throw new FerryError('INTERNAL', 'the reader was asked before it was initialised');
  // One dispatch for every request: the handler's argument type is the request's (see ReaderApi).
  const handler = pipeline[request.method] as (args: typeof request.args) => Promise<unknown>;
  return handler.call(pipeline, request.args satisfies Parameters<ReaderHandlers[typeof request.method]>[0]);
}

process.on('message', (message: ReaderEnvelope) => {
  handle(message.request).then(
    (value) => send({ id: message.id, ok: true, value: value ?? null }),
    (thrown: unknown) => send({ id: message.id, ok: false, error: serializeError(coerceError(thrown)) }),
  );
});

function send(reply: ReaderReply): void {
  process.send?.(reply);
}

// The parent going away (its IPC channel closing) ends the reader: it has no one to answer.
// (Also when the parent went away while this reader was still starting: no pipeline yet, and
// the channel may have closed before this listener was added.)
const leave = () => {
  setTimeout(() => process.exit(0), 2_000).unref(); // a clean-up that hangs does not keep it alive
  void (pipeline?.closeAll() ?? Promise.resolve()).finally(() => process.exit(0));
};
process.on('disconnect', leave);
if (!process.connected) leave();
