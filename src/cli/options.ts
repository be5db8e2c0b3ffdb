import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { CountersignError } from '../core/errors.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from '../core/scan-result.js';
import { type Packument, parsePackument } from '../formats/npm/packument.js';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512`, `64k`, `300M`, `4G` (binary units) -> bytes. */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`not a size: ${value} (examples: 512, 64k, 300M, 4G)`);
  return Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? '').toLowerCase()]!);
}

export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`not a non-negative integer: ${value}`);
  return parsed;
}

/** `--digests`: a comma-separated list of algorithms, or `all`. */
export function parseDigests(value: string): DigestAlgorithm[] {
  if (value.trim().toLowerCase() === 'all') return [...DIGEST_ALGORITHMS];
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!(DIGEST_ALGORITHMS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `unknown digest ${name} (choose from ${DIGEST_ALGORITHMS.join(', ')}, or all)`,
      );
    }
  }
  return names as DigestAlgorithm[];
}

/** Collects the values of a repeatable option (`--packument a.json --packument b.json`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads `--packument` files: npm registry metadata for the packages of the same name. */
export async function loadPackuments(files: readonly string[] = []): Promise<Packument[]> {
  return Promise.all(
    files.map(async (file) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new CountersignError('E_INPUT_NOT_FOUND', `cannot read the packument file ${file}`, {
          cause: error,
        });
      }
      try {
        return parsePackument(text);
      } catch (error) {
        throw new CountersignError('E_INPUT_UNREADABLE', `${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }),
  );
}
