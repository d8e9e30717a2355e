/**
 * Where a running service listens, recorded in the project's state folder: `ferry start`
 * writes `.ferry/services/<pid>.json` once it listens and removes it when it stops, so that
 * `ferry status` and `ferry health` find a service started with another PORT or HOST. A record
 * whose process is gone (killed, or the machine restarted) is stale: it is removed when read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServiceRecord {
  readonly pid: number;
  /** The machine it runs on: a pid says whether it is alive only there. */
  readonly hostname: string;
  /** The address this machine reaches it at (serviceUrl of what it listens on). */
  readonly url: string;
  readonly startedAt: string;
}

function folderOf(dataDir: string): string {
  return path.join(dataDir, 'services');
}

/** Records this process's service at `url`; the function returned removes the record (also called at exit). */
export function recordService(dataDir: string, url: string): () => void {
  const file = path.join(folderOf(dataDir), `${process.pid}.json`);
  const record: ServiceRecord = { pid: process.pid, hostname: os.hostname(), url, startedAt: new Date().toISOString() };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
  const remove = () => {
    process.off('exit', remove);
    fs.rmSync(file, { force: true });
  };
  // A hard exit (the stop timer, a second signal) skips the orderly stop: the record goes all the same.
  process.on('exit', remove);
  return remove;
}

/** The services recorded for the project whose process is alive (or on another machine: not known), oldest first. */
export function recordedServices(dataDir: string): ServiceRecord[] {
  const folder = folderOf(dataDir);
  let names: string[];
  try {
    names = fs.readdirSync(folder).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const records: ServiceRecord[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    let record: ServiceRecord;
    try {
      record = JSON.parse(fs.readFileSync(file, 'utf8')) as ServiceRecord;
    } catch {
      continue; // being written, or not ours
    }
    if (record.hostname === os.hostname() && !isAlive(record.pid)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    records.push(record);
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
