/**
 * The query deploy/kubernetes/keda-scaledobject.yaml gives KEDA's PostgreSQL scaler, run on a
 * migrated ledger: it is valid SQL on ferry's tables, returns one integer, and counts the file
 * versions waiting to be loaded now (pending and due, claimed or not), not those done, quarantined
 * or waiting for a later retry.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { createTestDatabase } from '../helpers/database.ts';

const FILE = path.resolve(import.meta.dirname, '../../deploy/kubernetes/keda-scaledobject.yaml');

function scalerQuery(): string {
  const documents = parseAllDocuments(fs.readFileSync(FILE, 'utf8')).map((document) => document.toJS());
  const scaled = documents.find((body) => body.kind === 'ScaledObject') as { spec: { triggers: { metadata: { query: string } }[] } };
  return scaled.spec.triggers[0]?.metadata.query ?? '';
}

describe('the KEDA scaler query', async () => {
  const db = await createTestDatabase();
  after(() => db.drop());

  it('counts the pending file versions due now, claimed or not', async () => {
    const query = scalerQuery();
    assert.deepEqual((await db.pool.query(query)).rows, [{ count: 0 }]);
    await db.pool.query(
      `INSERT INTO ferry_files (pipeline, key, version, size, status, next_attempt_at, lease_owner, lease_expires_at) VALUES
        ('p', 'due.csv', 'v1', 1, 'pending', now(), NULL, NULL),
        ('p', 'claimed.csv', 'v1', 1, 'pending', now(), 'instance#1', now() + interval '1 minute'),
        ('p', 'later.csv', 'v1', 1, 'pending', now() + interval '1 hour', NULL, NULL),
        ('p', 'done.csv', 'v1', 1, 'processed', now(), NULL, NULL),
        ('p', 'bad.csv', 'v1', 1, 'quarantined', now(), NULL, NULL)`,
    );
    const { rows, fields } = await db.pool.query(query);
    assert.equal(fields.length, 1, 'one column: the scaler reads a single number');
    assert.deepEqual(rows, [{ count: 2 }]);
  });
});
