/**
 * One `ferry start` per data directory: the embedded database belongs to one service. The lock
 * is a pid file created exclusively; a file left by a process that died is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from './errors/index.ts';
import { isAlive } from './postgres/index.ts';

export interface InstanceLock {
  release(): void;
}

export function acquireInstanceLock(dataDir: string): InstanceLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'ferry.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        release() {
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {}
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new FerryError('ALREADY_RUNNING', `ferry is already running on ${dataDir} (pid ${holder}); stop it first, or use another FERRY_DATA_DIR`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new FerryError('ALREADY_RUNNING', `could not take the lock ${file}`);
}
