import type { NodeFlag } from '../core/scan-result.js';

/**
 * Neutral observations about a stored entry name. The name is kept as stored for the node path
 * (it is a logical name, never a file-system path), so these flags only describe it.
 */
export function nameFlags(name: string): NodeFlag[] {
  const flags: NodeFlag[] = [];
  const normalised = name.replaceAll('\\', '/');
  if (normalised.split('/').some((segment) => segment === '..')) flags.push('path-traversal');
  if (normalised.startsWith('/')) flags.push('absolute-path');
  if (/^[a-zA-Z]:/.test(normalised)) flags.push('drive-letter');
  return flags;
}

/**
 * Keeps entries with the same name apart: the second `a.txt` of a container becomes `a.txt#2`.
 * Both are kept; the later ones are flagged `duplicate-name`.
 */
export class DuplicateNames {
  private readonly seen = new Map<string, number>();

  unique(name: string): { name: string; isDuplicate: boolean } {
    const count = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, count);
    return count === 1 ? { name, isDuplicate: false } : { name: `${name}#${count}`, isDuplicate: true };
  }
}
