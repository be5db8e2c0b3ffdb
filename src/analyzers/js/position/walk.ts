/**
 * The position walk: oxc's tree read where the parser wrote it, in the raw-transfer buffer, with
 * visitors that get a node's position instead of a node object. No node is built, kept or
 * collected, which is what the ESTree costs (bench/spikes/oxc-position-walk.mjs: over the 60 MB of
 * node_modules that need a tree, parse + ESTree 1.7–1.9 s on one thread, parse + a position walk
 * whose visitors read every call's callee path, every identifier's name and every string 1.1 s).
 *
 * The walker itself is generated from oxc's (`scripts/generate-oxc-position-walker.ts`), so node
 * types and field offsets are oxc's own, for the oxc-parser version it was generated from; where
 * another version is installed, `positionWalkAvailable()` says no and callers use the ESTree.
 */
import { createRequire } from 'node:module';
import type { BufferTree } from '../oxc-raw.js';
import {
  LEAF_NODE_TYPES_COUNT,
  NODE_TYPE_IDS_MAP,
  NODE_TYPES_COUNT,
  OXC_PARSER_VERSION,
  walkProgram,
} from './walk.generated.js';

/** Called with the position of a node of the type it was registered for. */
export type PositionVisit = (pos: number) => void;

/** Visits by oxc node type (`CallExpression`, `IdentifierReference`...); `<Type>:exit` on the way out. */
export type PositionVisitorSpec = Readonly<Record<string, PositionVisit>>;

type LeafVisitor = PositionVisit | null;
interface EnterExit {
  enter: PositionVisit | null;
  exit: PositionVisit | null;
}

/** Visitors laid out as the generated walker reads them: one slot per node type id. */
export class PositionVisitors {
  /** @internal the generated walker's array */
  readonly slots: Array<LeafVisitor | EnterExit | null>;

  constructor(spec: PositionVisitorSpec) {
    this.slots = new Array<LeafVisitor | EnterExit | null>(NODE_TYPES_COUNT).fill(null);
    for (const [key, visit] of Object.entries(spec)) {
      const exit = key.endsWith(':exit');
      const type = exit ? key.slice(0, -':exit'.length) : key;
      const id = NODE_TYPE_IDS_MAP.get(type);
      if (id === undefined) throw new Error(`no oxc node type ${type}`);
      if (id < LEAF_NODE_TYPES_COUNT) {
        // A leaf has no inside: its visit is the same on the way in and out.
        const existing = this.slots[id] as LeafVisitor;
        this.slots[id] = existing === null ? visit : chain(existing, visit);
        continue;
      }
      const slot = (this.slots[id] as EnterExit | null) ?? { enter: null, exit: null };
      if (exit) slot.exit = slot.exit === null ? visit : chain(slot.exit, visit);
      else slot.enter = slot.enter === null ? visit : chain(slot.enter, visit);
      this.slots[id] = slot;
    }
  }
}

function chain(first: PositionVisit, second: PositionVisit): PositionVisit {
  return (pos) => {
    first(pos);
    second(pos);
  };
}

/**
 * Walks the tree in source order. Answers false when the tree is too deep for this thread's stack
 * (the walker recurses; the nesting pre-scan keeps trees shallow, but a long flat chain such as
 * `a+a+...+a` still nests one level per operator): the caller treats the file as it treats one
 * too deeply nested to parse.
 */
export function walkPositions(tree: BufferTree, visitors: PositionVisitors): boolean {
  try {
    walkProgram(tree.programPos, tree, visitors.slots);
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

let available: boolean | undefined;

/** Whether the installed oxc-parser is the version the walker was generated from. */
export function positionWalkAvailable(): boolean {
  if (available === undefined) {
    try {
      const installed = createRequire(import.meta.url)('oxc-parser/package.json') as { version?: string };
      available = installed.version === OXC_PARSER_VERSION;
    } catch {
      available = false;
    }
  }
  return available;
}
