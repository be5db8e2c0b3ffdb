/**
 * A second process that writes to the same store, for the contract suite's cross-process audit test:
 *   node --import tsx concurrent-writer.ts <url> <schema|-> <count> <label>
 * Prints `ready` once open, waits for a line on stdin (so several writers start together), makes
 * <count> suppliers as the system actor <label>, prints `done` and exits.
 */
import { once } from 'node:events';
import { openStore } from '../open-store.js';

const [url, schema, count, label] = process.argv.slice(2);
if (url === undefined || schema === undefined || count === undefined || label === undefined) {
  process.stderr.write('usage: concurrent-writer.ts <url> <schema|-> <count> <label>\n');
  process.exit(2);
}
const store = await openStore({ url, ...(schema === '-' ? {} : { schema }) });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
for (let i = 0; i < Number(count); i++) {
  await store.createSupplier({ kind: 'system', id: label }, { name: `${label}-${i}` });
}
await store.close();
process.stdout.write('done\n');
process.exit(0);
