/**
 * ferry's connections parse BIGINT as numbers, and importing ferry leaves the importer's own
 * `pg` as it was: the parsers are set per pool, not on pg's global `pg.types`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { testServerUrl } from '../helpers/database.ts';

/** The oids ferry parses differently from pg's defaults (see TYPE_PARSERS in src/postgres/pool.ts). */
const CUSTOMISED = [pg.types.builtins.INT8];

describe('type parsers', () => {
  it("importing ferry does not change pg's global parsers", async () => {
    const before = CUSTOMISED.map((oid) => pg.types.getTypeParser(oid));
    // The public entry, and the modules that open ferry's pools.
    await import('../../src/index.ts');
    await import('../../src/postgres/index.ts');
    await import('../../src/runtime.ts');
    assert.deepEqual(
      CUSTOMISED.map((oid) => pg.types.getTypeParser(oid)),
      before,
    );
  });

  it("ferry's pools parse BIGINT as numbers; a plain pg client still gets text", async () => {
    const { createPool } = await import('../../src/postgres/index.ts');
    const pool = createPool(testServerUrl(), 1);
    const client = new pg.Client({ connectionString: testServerUrl() });
    await client.connect();
    try {
      const statement = 'SELECT 9007199254740991::bigint AS big, count(*) AS counted FROM generate_series(1, 3)';
      assert.deepEqual((await pool.query(statement)).rows, [{ big: 9_007_199_254_740_991, counted: 3 }]);
      // A checked-out client has the pool's parsers too.
      const checkedOut = await pool.connect();
      try {
        assert.deepEqual((await checkedOut.query(statement)).rows, [{ big: 9_007_199_254_740_991, counted: 3 }]);
      } finally {
        checkedOut.release();
      }
      assert.deepEqual((await client.query(statement)).rows, [{ big: '9007199254740991', counted: '3' }]);
    } finally {
      await client.end();
      await pool.end();
    }
  });
});
