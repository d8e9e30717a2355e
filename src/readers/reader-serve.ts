/**
 * What a reader process does once its watchdog runs (see reader-process.ts): it loads the same
 * config as its parent (so transform functions work), then answers requests one message at a
 * time. If Polars aborts the process, only the file in hand is lost,
 * and the parent records why.
 */
import { loadConfig, type ResolvedConfig, resolveConfig } from '../config/index.ts';
import { coerceError } from '../errors/index.ts';
import { applyPolarsDefaults } from '../polars/index.ts';
import { openObjectStore } from '../storage/index.ts';
import { FrameJobs } from './frame-jobs.ts';
import { type FileRef, type ReaderEnvelope, type ReaderReply, type ReaderRequest, serializeError } from './protocol.ts';

/**
 * For tests of crash handling only: a reader that is asked to open a file whose key contains
 * this text aborts, as a native panic would.
 */
const ABORT_ON_KEY = process.env.FERRY_TEST_READER_ABORT_ON;

let jobs: FrameJobs | null = null;

async function handle(request: ReaderRequest): Promise<unknown> {
  if (request.type === 'init') {
    const { origin } = request;
    // The parent validated this config: it is not checked again (nor zod loaded) here.
    const context = { cwd: origin.cwd, env: origin.env as NodeJS.ProcessEnv, flags: origin.flags, trusted: true };
    const config: ResolvedConfig = origin.configFile !== null ? await loadConfig(context) : resolveConfig(origin.raw, { ...context, configFile: null });
    applyPolarsDefaults();
    jobs = new FrameJobs(config, openObjectStore(config.storage, config.s3));
    return null;
  }
  if (jobs === null) throw new Error('the reader was not initialised');
  switch (request.type) {
    case 'open':
      abortIfAsked(request.file);
      return jobs.open(request.job, request.pipeline, request.file);
    case 'write':
      return jobs.write(request.job, request.part, request.target, request.wire, request.rejectsTarget);
    case 'open-many':
      for (const { file } of request.files) abortIfAsked(file);
      return jobs.openMany(request.pipeline, request.files);
    case 'write-many':
      return jobs.writeMany(request.jobs, request.target, request.wire, request.rejectsDir);
    case 'count-many':
      for (const file of request.files) abortIfAsked(file);
      return jobs.countMany(request.pipeline, request.files);
    case 'finish':
      return jobs.finish(request.job);
    case 'close':
      return jobs.close(request.job);
    case 'count':
      abortIfAsked(request.file);
      return jobs.count(request.pipeline, request.file);
    case 'preview':
      return jobs.preview(request.pipeline, request.file, request.rows, request.checks);
  }
}

function abortIfAsked(file: FileRef): void {
  if (ABORT_ON_KEY !== undefined && ABORT_ON_KEY !== '' && file.key.includes(ABORT_ON_KEY)) process.abort();
}

process.on('message', (message: ReaderEnvelope) => {
  handle(message.request).then(
    (value) => send({ id: message.id, ok: true, value: value ?? null }),
    (thrown: unknown) => {
      const error = coerceError(thrown);
      send({ id: message.id, ok: false, error: serializeError(error) });
    },
  );
});

function send(reply: ReaderReply): void {
  process.send?.(reply);
}

// The parent going away (its IPC channel closing) ends the reader: it has no one to answer.
// (Also when the parent went away while this reader was still starting: no jobs yet, and the
// channel may have closed before this listener was added.)
const leave = () => {
  setTimeout(() => process.exit(0), 2_000).unref(); // a clean-up that hangs does not keep it alive
  void (jobs?.closeAll() ?? Promise.resolve()).finally(() => process.exit(0));
};
process.on('disconnect', leave);
if (!process.connected) leave();
