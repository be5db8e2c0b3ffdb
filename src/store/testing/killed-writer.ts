/**
 * A process that dies inside a write transaction, for the contract suite's kill -9 test:
 *   node --import tsx killed-writer.ts <url> <schema|->
 * Opens the store, starts a write transaction (holding the audit append lock), inserts a supplier
 * named `half-written` with its audit entry, prints `inside` and waits forever to be killed.
 */
import { inWriteTransaction } from '../audit-writer.js';
import { openStore } from '../open-store.js';

const [url, schema] = process.argv.slice(2);
if (url === undefined || schema === undefined) {
  process.stderr.write('usage: killed-writer.ts <url> <schema|->\n');
  process.exit(2);
}
const store = await openStore({ url, ...(schema === '-' ? {} : { schema }) });
await inWriteTransaction(store.db, store.dialect, async (trx, audit) => {
  const id = 'half-written';
  await trx
    .insertInto('suppliers')
    .values({ id, name: id, website: null, created_at: new Date().toISOString() })
    .execute();
  await audit(
    { kind: 'system', id: 'killed-writer' },
    { action: 'supplier.create', entity: 'supplier', entityId: id },
  );
  process.stdout.write('inside\n');
  // A timer keeps the process alive: with SQLite nothing else is pending, and Node would end an
  // unsettled top-level await at once (exit 13), racing the kill this process is waiting for.
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
});
