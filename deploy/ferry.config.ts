// The config the image runs unless one is mounted over it (/srv/ferry/ferry.config.ts).
// Storage and database come from the environment (FERRY_STORAGE, DATABASE_URL, AWS_*).
import { defineConfig } from 'ferry';

export default defineConfig({
  pipelines: {
    // Every Parquet, CSV or NDJSON file under the storage becomes rows of the table "events".
    events: {
      source: { glob: '**/*.{parquet,csv,ndjson}' },
      sink: { table: 'events' },
      schedule: { every: '1m' },
    },
  },
});
