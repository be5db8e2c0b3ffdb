import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobQueue } from '../jobs/types.js';
import type { BlobStore, Store } from '../store/types.js';
import { buildServer } from './build-server.js';

/**
 * The OpenAPI 3.1 document, generated from the route schemas. It is also checked into
 * `openapi/openapi.json` so that API changes show up in review; a test fails when the two differ,
 * and `npx tsx src/server/openapi.ts --write` regenerates the checked-in copy.
 */

export const CHECKED_IN_OPENAPI = new URL('../../openapi/openapi.json', import.meta.url);

/** Collaborators that refuse every call: generating the document never touches data. */
function inert<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      if (property === 'then') return undefined; // not a thenable
      return () => {
        throw new Error(`${what}.${String(property)} called while generating the OpenAPI document`);
      };
    },
  });
}

export async function generateOpenApi(): Promise<unknown> {
  const app = await buildServer({
    store: inert<Store>('store'),
    blobs: inert<BlobStore>('blobs'),
    queue: inert<JobQueue>('queue'),
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return document;
}

export function openApiText(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

export async function readCheckedInOpenApi(): Promise<unknown> {
  return JSON.parse(await readFile(CHECKED_IN_OPENAPI, 'utf8'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = openApiText(await generateOpenApi());
  if (process.argv.includes('--write')) {
    await mkdir(dirname(fileURLToPath(CHECKED_IN_OPENAPI)), { recursive: true });
    const file = fileURLToPath(CHECKED_IN_OPENAPI);
    await writeFile(file, text);
    // Committed files follow the repository's formatter (the drift test compares parsed JSON).
    const biome = spawnSync('npx', ['biome', 'format', '--write', file], { stdio: 'inherit' });
    if (biome.status !== 0) process.exitCode = 1;
    process.stderr.write(`wrote ${file}\n`);
  } else process.stdout.write(text);
}
