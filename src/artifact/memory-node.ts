import { createHash } from 'node:crypto';
import type { DetectedType } from '../core/detected-type.js';
import type { NodePath } from '../core/node-path.js';
import type { NodeView } from '../core/plugin.js';
import { detectType, SNIFF_BYTES } from '../formats/magic.js';
import { nodeView } from './content-source.js';

/**
 * A NodeView over bytes held in memory: small unpacked entries, and plugin tests.
 * `path` defaults to `name`; `type` defaults to what the bytes sniff as.
 */
export function memoryNode(
  bytes: Uint8Array,
  options: { name: string; path?: NodePath; depth?: number; type?: DetectedType; sha256?: string },
): NodeView {
  const head = bytes.subarray(0, SNIFF_BYTES);
  return nodeView(
    {
      path: options.path ?? (options.name as NodePath),
      name: options.name,
      size: bytes.length,
      depth: options.depth ?? 0,
      type: options.type ?? detectType(head, options.name, bytes.length),
      head,
    },
    { kind: 'memory', bytes },
    options.sha256 ?? createHash('sha256').update(bytes).digest('hex'),
  );
}
