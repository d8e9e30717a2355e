/**
 * A reader process: the entry point of the children that ferry forks to do all Polars work on
 * files. The watch on its parent starts first (see readers/parent-watch.ts); then it loads
 * Polars and serves requests (serve.ts). Its arguments: the parent's pid, and how to watch it.
 */
import { watchParent } from '../readers/index.ts';

watchParent(Number(process.argv[2]), process.argv[3] === 'pdeathsig' ? 'pdeathsig' : 'thread');
await import('./serve.ts');
