import { parse as acornParse, type Comment } from 'acorn';
import { parseSync } from 'oxc-parser';
import { moduleRefsOf } from '../../formats/npm/module-refs.js';
import type { AstNode } from './ast.js';
import { DEFAULT_EXTRACT_LIMITS, type ExtractLimits, WalkContext } from './context.js';
import type { JsCapabilityFact, JsFileFact } from './facts.js';
import { fallbackScan, scanStrings } from './fallback.js';
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
import { findHiddenCode } from './hidden-code.js';
import { type JsLang, langFor } from './lang.js';
import { buildLineIndex, type LineIndex } from './line-index.js';
import { estimateNesting, isSafeToParse } from './nesting.js';
import { type RawParseResult, rawParsers } from './oxc-raw.js';
import { parseToBuffer, walkFamilies } from './position/extract.js';
import { positionWalkAvailable } from './position/walk.js';
import { needsSyntaxTree } from './prefilter.js';
import { Dispatcher } from './walker.js';

/** Loaded once per thread, before the first file (see oxc-raw.ts for when it is undefined). */
const RAW_PARSERS = await rawParsers();
const RAW_PARSE = RAW_PARSERS?.parse;
/** The position walk, where raw transfer runs and the walker matches the installed oxc. */
const BUFFER_PARSE = RAW_PARSERS && positionWalkAvailable() ? RAW_PARSERS.parseToBuffer : undefined;

/**
 * How the families read the tree: `position` (the default), in oxc's buffer where the parser wrote
 * it, or `estree`, the ESTree built from it, which is also the way wherever raw transfer cannot
 * run. Both give the same facts (`eval/js-position-equivalence.ts`, `position/equivalence.test.ts`);
 * the position walk takes ~40% less CPU. `COUNTERSIGN_JS_WALK=estree` sets the other default.
 */
export type WalkChoice = 'position' | 'estree';
const DEFAULT_WALK: WalkChoice = process.env.COUNTERSIGN_JS_WALK === 'estree' ? 'estree' : 'position';

export type ParserChoice = 'auto' | 'acorn' | 'oxc-json';

export interface ExtractOptions {
  /** Used for error messages and to pick the dialect when `lang` is not given. */
  readonly filename: string;
  readonly lang?: JsLang;
  readonly limits?: Partial<ExtractLimits>;
  /** Parse even when the prefilter finds nothing that needs the tree (for equivalence checks). */
  readonly alwaysParse?: boolean;
  /**
   * `auto` (the default): oxc through raw transfer where it runs, else `acorn`. `acorn`: plain
   * JavaScript goes to acorn first, everything else and whatever acorn refuses to oxc's JSON
   * output. `oxc-json`: oxc's JSON output alone. The last two are for equivalence checks.
   */
  readonly parser?: ParserChoice;
  /** How the families read the tree (`position` needs raw transfer; else the ESTree is walked). */
  readonly walk?: WalkChoice;
}

export interface SyntaxProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface ExtractResult {
  readonly facts: JsCapabilityFact[];
  readonly file: JsFileFact;
  /** Parser errors; non-empty means the facts come from a partial tree or the fallback scan. */
  readonly syntaxErrors: SyntaxProblem[];
  /**
   * The packages the file names in require/import, found lexically (`moduleRefsOf`): read here,
   * where the text is already decoded, rather than by a second pass on the scan's main thread.
   */
  readonly moduleRefs: string[];
}

type CapabilityResult = Omit<ExtractResult, 'moduleRefs'>;

export { DEFAULT_EXTRACT_LIMITS } from './context.js';
export { type JsLang, langFor } from './lang.js';

/**
 * The families, in the order their handlers run for a node. Bindings come first so that every
 * other family sees names bound by the node being left.
 */
const DISPATCHER = new Dispatcher([
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

interface Parsed {
  readonly program: AstNode & { body: unknown[] };
  readonly errors: RawParseResult['errors'];
  readonly comments: ReadonlyArray<{ readonly start: number; readonly end: number }>;
}

function parse(source: string, filename: string, lang: JsLang, useRaw: boolean): Parsed {
  const options = { lang, sourceType: 'unambiguous', preserveParens: false } as const;
  const result =
    useRaw && RAW_PARSE ? RAW_PARSE(filename, source, options) : parseSync(filename, source, options);
  const program = result.program as unknown as AstNode & { body: unknown[] };
  return { program, errors: result.errors, comments: result.comments };
}

/**
 * The tree of a file, in the dialect it is named for or, when that yields nothing, the other one.
 * Raw transfer's deserialisers recurse once per level of the tree, so a file nested deeper than
 * the stack allows (within the pre-scan's bounds: `!!!…a`, ten thousand deep) throws there; such
 * a file is parsed again the way that does not recurse as deep.
 */
function parseSource(source: string, filename: string, lang: JsLang, choice: ParserChoice): Parsed {
  if (choice === 'auto' && RAW_PARSE !== undefined) {
    try {
      return parseWith(source, filename, lang, 'raw');
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  return parseWith(source, filename, lang, choice === 'oxc-json' ? 'oxc-json' : 'acorn');
}

/** One way of building the tree, with the other dialect as the retry. */
function parseWith(
  source: string,
  filename: string,
  lang: JsLang,
  way: 'raw' | 'acorn' | 'oxc-json',
): Parsed {
  const useRaw = way === 'raw';
  let parsed =
    (lang === 'jsx' && way === 'acorn' ? parseWithAcorn(source) : undefined) ??
    parse(source, filename, lang, useRaw);
  if (parsed.errors.length > 0 && parsed.program.body.length === 0) {
    const retry = parse(source, filename, lang === 'jsx' || lang === 'js' ? 'ts' : 'tsx', useRaw);
    if (retry.program.body.length > 0 && retry.errors.length <= parsed.errors.length) parsed = retry;
  }
  return parsed;
}

/**
 * Plain JavaScript that parses without error, through acorn, where raw transfer cannot run: oxc's
 * JSON output costs more to read than acorn's whole parse (the files of node_modules that need a
 * tree: acorn 6.4 s, oxc's JSON 11.7 s on one core, with far more memory; raw transfer ~2 s).
 * All give ESTree with UTF-16 offsets. A module is tried first, then a script (sloppy-mode code,
 * CommonJS with a top-level return); JSX, TypeScript and syntax errors, which oxc recovers from
 * with a partial tree, go to oxc: undefined.
 */
function parseWithAcorn(source: string): Parsed | undefined {
  for (const sourceType of ['module', 'script'] as const) {
    const comments: Comment[] = [];
    try {
      const program = acornParse(source, {
        ecmaVersion: 'latest',
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: true,
        onComment: comments,
      }) as unknown as AstNode & { body: unknown[] };
      return { program, errors: [], comments };
    } catch {
      // Not this source type, or not plain JavaScript: the next try, or oxc, says what it is.
    }
  }
  return undefined;
}

/**
 * One file's capabilities: one parse, one walk with all families dispatched by node type, one
 * pass for hidden code. A file that does not parse at all goes through the fallback scan.
 * Nothing is executed.
 */
export function extractJsCapabilities(source: string, options: ExtractOptions): ExtractResult {
  return { ...extractCapabilities(source, options), moduleRefs: moduleRefsOf(source) };
}

function extractCapabilities(source: string, options: ExtractOptions): CapabilityResult {
  const limits = { ...DEFAULT_EXTRACT_LIMITS, ...options.limits };
  const lines = buildLineIndex(source);
  const lang = options.lang ?? langFor(options.filename);
  if (!options.alwaysParse && !needsSyntaxTree(source)) {
    // Nothing in this file needs the tree: its string literals are all there is to read.
    const ctx = new WalkContext(source, lines, limits);
    scanStrings(ctx);
    return { facts: ctx.facts, file: fileFact(source, lines, ctx, 'strings-only', 0), syntaxErrors: [] };
  }
  const nesting = estimateNesting(source);
  if (!isSafeToParse(nesting)) {
    const reason = `too deeply nested to parse safely (depth ~${nesting.depth}, longest expression ~${nesting.run} tokens)`;
    return fallbackOnly(source, lines, limits, reason);
  }
  const walk = options.walk ?? DEFAULT_WALK;
  if (walk === 'position' && BUFFER_PARSE && (options.parser ?? 'auto') === 'auto') {
    const done = extractByPositions(source, options.filename, lang, lines, limits);
    if (done) return done;
  }
  const parsed = parseSource(source, options.filename, lang, options.parser ?? 'auto');
  const syntaxErrors = parsed.errors.map((error) => {
    const at = error.labels[0]?.start ?? 0;
    return { message: error.message, ...lines.position(at) };
  });
  const isFallback = parsed.errors.length > 0 && parsed.program.body.length === 0;
  const ctx = new WalkContext(source, lines, limits, isFallback);
  if (isFallback) {
    fallbackScan(ctx);
  } else {
    DISPATCHER.walk(parsed.program, ctx);
    findHiddenCode(ctx, parsed.comments);
  }
  return treeResult(source, lines, ctx, parsed.errors.length, isFallback, syntaxErrors);
}

/** What a parsed file gives: its facts, its figures and how far it parsed. */
function treeResult(
  source: string,
  lines: LineIndex,
  ctx: WalkContext,
  errors: number,
  isFallback: boolean,
  syntaxErrors: SyntaxProblem[],
): CapabilityResult {
  const parsed = isFallback ? 'fallback' : errors > 0 ? 'partial' : 'full';
  return { facts: ctx.facts, file: fileFact(source, lines, ctx, parsed, errors), syntaxErrors };
}

/** The tree path by the position walk; undefined when the tree is too deep for it (the ESTree path then). */
function extractByPositions(
  source: string,
  filename: string,
  lang: JsLang,
  lines: LineIndex,
  limits: ExtractLimits,
): CapabilityResult | undefined {
  const parsed = parseToBuffer(BUFFER_PARSE!, source, filename, lang);
  const syntaxErrors = parsed.errors.map((error) => ({
    message: error.message,
    ...lines.position(error.at),
  }));
  const isFallback = parsed.errors.length > 0 && parsed.empty;
  const ctx = new WalkContext(source, lines, limits, isFallback);
  if (isFallback) fallbackScan(ctx);
  else if (!walkFamilies(parsed, source, ctx)) return undefined;
  return treeResult(source, lines, ctx, parsed.errors.length, isFallback, syntaxErrors);
}

/** A file the parser must not see: facts from the fallback scan only, the reason as a syntax problem. */
function fallbackOnly(
  source: string,
  lines: LineIndex,
  limits: ExtractLimits,
  reason: string,
): CapabilityResult {
  const ctx = new WalkContext(source, lines, limits, true);
  fallbackScan(ctx);
  return {
    facts: ctx.facts,
    file: fileFact(source, lines, ctx, 'fallback', 1),
    syntaxErrors: [{ message: reason, line: 1, column: 1 }],
  };
}

function fileFact(
  source: string,
  lines: LineIndex,
  ctx: WalkContext,
  parsed: JsFileFact['parsed'],
  syntaxErrors: number,
): JsFileFact {
  const bytes = Buffer.byteLength(source, 'utf8');
  const averageLine = source.length / lines.lines;
  const mangledShare = ctx.identifiers === 0 ? 0 : ctx.mangledIdentifiers / ctx.identifiers;
  return {
    bytes,
    lines: lines.lines,
    longestLine: lines.longestLine,
    minified: lines.longestLine >= 1000 && averageLine >= 200 && mangledShare < 0.05,
    parsed,
    syntaxErrors,
    identifiers: ctx.identifiers,
    mangledIdentifiers: ctx.mangledIdentifiers,
    stringLiterals: ctx.stringLiterals,
    highEntropyStrings: ctx.highEntropyStrings,
    factsDropped: ctx.factsDropped,
  };
}
