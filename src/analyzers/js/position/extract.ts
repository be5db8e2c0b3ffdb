/**
 * One file's capabilities by the position walk: the tree stays in oxc's buffer and the families
 * read it in place (see `walk.ts` for why). The counterpart of the tree path of `../extract.ts`,
 * which calls it and keeps the rest: the prefilter, the nesting bound, the fallback scan.
 */
import type { WalkContext } from '../context.js';
import { findHiddenCode } from '../hidden-code.js';
import type { JsLang } from '../lang.js';
import type { BufferParse, BufferTree } from '../oxc-raw.js';
import { PositionDispatcher } from './dispatch.js';
import { apiObfuscationFamily } from './families/api-obfuscation.js';
import { bindingsFamily } from './families/bindings.js';
import { browserFamily } from './families/browser.js';
import { dynamicCodeFamily } from './families/dynamic-code.js';
import { environmentFamily } from './families/environment.js';
import { filesystemFamily } from './families/filesystem.js';
import { networkFamily } from './families/network.js';
import { obfuscationFamily } from './families/obfuscation.js';
import { processFamily } from './families/process.js';
import { stringsFamily } from './families/strings.js';
import { timeBombFamily } from './families/time-bomb.js';
import { FIELDS } from './layout.generated.js';
import { DIRECTIVES, RAW_DATA } from './raw-data.js';

/** The families in the order their handlers run for a node, as in `../extract.ts`. */
const DISPATCHER = new PositionDispatcher([
  bindingsFamily,
  networkFamily,
  processFamily,
  filesystemFamily,
  environmentFamily,
  dynamicCodeFamily,
  obfuscationFamily,
  apiObfuscationFamily,
  browserFamily,
  timeBombFamily,
  stringsFamily,
]);

export interface PositionParse {
  readonly tree: BufferTree;
  readonly errors: ReadonlyArray<{ readonly message: string; readonly at: number }>;
  /** Whether the program has no statement at all (nothing was recovered). */
  readonly empty: boolean;
}

/** Parses into the buffer, with the other dialect as the retry, as `../extract.ts` does for the ESTree. */
export function parseToBuffer(
  parse: BufferParse,
  source: string,
  filename: string,
  lang: JsLang,
): PositionParse {
  const options = { sourceType: 'unambiguous', preserveParens: false } as const;
  let parsed = read(parse(filename, source, { ...options, lang }));
  if (parsed.errors.length > 0 && parsed.empty) {
    const other = lang === 'jsx' || lang === 'js' ? 'ts' : 'tsx';
    const retry = read(parse(filename, source, { ...options, lang: other }));
    if (!retry.empty && retry.errors.length <= parsed.errors.length) parsed = retry;
    // The buffer holds the last parse: go back to the first when the retry is not kept.
    else parsed = read(parse(filename, source, { ...options, lang }));
  }
  return parsed;
}

function read(tree: BufferTree): PositionParse {
  const int32 = tree.buffer.int32;
  const errors: Array<{ message: string; at: number }> = [];
  const field = tree.dataPos + RAW_DATA.errors;
  const count = int32[(field >> 2) + 2]!;
  const first = int32[field >> 2]!;
  for (let i = 0; i < count; i++) {
    const error = first + i * RAW_DATA.errorStride;
    const labels = error + RAW_DATA.errorLabels;
    const at = int32[(labels >> 2) + 2]! > 0 ? int32[int32[labels >> 2]! >> 2]! : 0;
    errors.push({ message: utf8(tree, error + RAW_DATA.errorMessage), at });
  }
  const body = tree.programPos + FIELDS.Program.body;
  const directives = tree.programPos + DIRECTIVES.Program;
  const empty = int32[(body >> 2) + 2] === 0 && int32[(directives >> 2) + 2] === 0;
  return { tree, errors, empty };
}

/** An error message (a `Str` in the arena, not in the source). */
function utf8(tree: BufferTree, field: number): string {
  const int32 = tree.buffer.int32;
  const at = int32[field >> 2]!;
  const length = int32[(field >> 2) + 2]!;
  return Buffer.from(tree.buffer.buffer, tree.buffer.byteOffset + at, length).toString('utf8');
}

/** The comments' spans (and the hashbang's, as the ESTree path lists it among them). */
export function commentSpans(tree: BufferTree): Array<{ start: number; end: number }> {
  const int32 = tree.buffer.int32;
  const spans: Array<{ start: number; end: number }> = [];
  const hashbang = tree.programPos + FIELDS.Program.hashbang;
  if (!tree.isTypeScript && !(int32[(hashbang >> 2) + 4] === 0 && int32[(hashbang >> 2) + 5] === 0))
    spans.push({ start: int32[hashbang >> 2]!, end: int32[(hashbang >> 2) + 1]! });
  const field = tree.dataPos + RAW_DATA.comments;
  const count = int32[(field >> 2) + 2]!;
  const first = int32[field >> 2]!;
  for (let i = 0; i < count; i++) {
    const comment = first + i * RAW_DATA.commentStride;
    spans.push({ start: int32[comment >> 2]!, end: int32[(comment >> 2) + 1]! });
  }
  return spans;
}

/**
 * Walks the families over a parsed tree and looks for hidden code. False when the tree is too
 * deep for the walk; the caller then analyses the file the other way.
 */
export function walkFamilies(parsed: PositionParse, source: string, ctx: WalkContext): boolean {
  if (!DISPATCHER.walk(parsed.tree, source, ctx)) return false;
  findHiddenCode(ctx, commentSpans(parsed.tree));
  return true;
}
