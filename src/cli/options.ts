import { InvalidArgumentError } from 'commander';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from '../core/scan-result.js';

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

export function parseDigests(value: string): DigestAlgorithm[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!(DIGEST_ALGORITHMS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown digest ${name} (choose from ${DIGEST_ALGORITHMS.join(', ')})`);
    }
  }
  return names as DigestAlgorithm[];
}
