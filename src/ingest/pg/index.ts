/** PostgreSQL sink of the ingestor (needs the optional peer dependency `pg`). */
export { PG_BATCH_SIZE, PgStore, type PgStoreOptions, type PgDeadLetter } from './store.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, type PgMigration } from './schema.js';
export type { PgDeadLetterCode } from './write.js';
export type { PgPool, PgPoolConfig, PgQueryResult } from './types.js';
