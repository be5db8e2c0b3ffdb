import type { Fact } from '../../core/facts.js';
import type { Analyzer, AnalyzerResult, GapInput, NodeHead, NodeView } from '../../core/plugin.js';
import type { ExtractLimits } from './context.js';
import type { JsFileFact } from './facts.js';
import { type JsLang, langFor } from './lang.js';
import './facts.js';
import '../npm/module-refs.js';
import { textTypeByName } from '../../core/detected-type.js';
import { moduleRefsOf } from '../../formats/npm/module-refs.js';
import { DEFAULT_EXTRACT_LIMITS, WalkContext } from './context.js';
import { type JsExtractPool, sharedJsExtractPool } from './extract-pool.js';
import { fallbackScan } from './fallback.js';
import { buildLineIndex } from './line-index.js';
import { decodeSource } from './source-text.js';

export interface JsCapabilitiesOptions {
  /** Files larger than this are not parsed; they get the fallback string scan and a coverage gap. */
  readonly maxParseBytes?: number;
  readonly limits?: Partial<ExtractLimits>;
  /**
   * Where files are analysed: the process-wide thread pool by default (`COUNTERSIGN_THREADS=0` or
   * `null` here: the calling thread). Results are the same either way.
   */
  readonly pool?: JsExtractPool | null;
}

export const DEFAULT_MAX_PARSE_BYTES = 16 * 1024 * 1024;
/** A cap on what the fallback reads of an oversized file: it is linear, but memory is not free. */
const MAX_FALLBACK_BYTES = 64 * 1024 * 1024;
/** How much of an oversized file is searched for module references. */
const MODULE_REFS_HEAD = 16 * 1024 * 1024;

function langOf(node: NodeHead): JsLang {
  const lang = langFor(node.name);
  // A file typed as TypeScript by its content (not its name) is still TypeScript.
  return lang === 'jsx' && node.type === 'typescript' ? 'ts' : lang;
}

/**
 * `analyzer/js-capabilities`: JavaScript and TypeScript files -> `js.capability` facts (what the
 * code can do, with line, column and snippet), one `js.file` fact and one `npm.module-refs` fact
 * (the packages the file names, possibly none: the file was looked at). Never runs the code.
 */
export function createJsCapabilitiesAnalyzer(options: JsCapabilitiesOptions = {}): Analyzer {
  const maxParseBytes = options.maxParseBytes ?? DEFAULT_MAX_PARSE_BYTES;
  const limits = { ...DEFAULT_EXTRACT_LIMITS, ...options.limits };
  const poolOf = () => (options.pool === undefined ? sharedJsExtractPool() : (options.pool ?? undefined));
  return {
    id: 'analyzer/js-capabilities',
    // 5: the position walk (TypeScript files count fewer identifiers: none in type-only code).
    version: 5,
    // The bytes, the name (parser by extension) and these settings.
    cacheKey: () => JSON.stringify({ maxParseBytes, limits }),
    accepts(node: NodeHead): boolean {
      if (node.type === 'javascript' || node.type === 'typescript') return true;
      // Node runs a `.js` file as JavaScript whatever its bytes say. A tar header is the one magic
      // that text can carry (`ustar` at offset 257, or a checksum, inside a comment), so a script
      // that is also a tar is analysed as the script it is, besides being unpacked.
      if (node.type !== 'tar') return false;
      const byName = textTypeByName(node.name);
      return byName === 'javascript' || byName === 'typescript';
    },
    async analyze(node: NodeView): Promise<AnalyzerResult> {
      if (node.size > maxParseBytes) return analyzeOversized(node, maxParseBytes, limits);
      const bytes = await node.read();
      // Small files too: posting one costs less than its analysis here, where the young
      // generation is kept small (v8-policy.ts) and the walk of the tree waits for this thread
      // (node_modules --deep: 6.7 -> 6.0 s, 11.3 -> 10.2 s of CPU).
      const pool = poolOf();
      const request = { filename: node.name, lang: langOf(node), limits };
      // The parsers load on first use here (the threads load their own): a scan with no
      // JavaScript in it does not pay for them.
      const result = pool
        ? await pool.extract(bytes, request)
        : (await import('./extract.js')).extractJsCapabilities(decodeSource(bytes), request);
      const facts: Fact[] = result.facts.map((fact) => ({ kind: 'js.capability', ...fact }));
      facts.push({ kind: 'js.file', ...result.file });
      facts.push({ kind: 'npm.module-refs', packages: result.moduleRefs });
      const gaps: GapInput[] = [];
      if (result.syntaxErrors.length > 0) {
        const first = result.syntaxErrors[0]!;
        gaps.push({
          code: 'E_JS_SYNTAX',
          stage: 'analyze',
          message:
            result.file.parsed === 'fallback'
              ? `does not parse (${first.message} at ${first.line}:${first.column}); read by the fallback string scan only`
              : `parsed with ${result.syntaxErrors.length} recoverable syntax error(s), first at ${first.line}:${first.column}: ${first.message}`,
          details: { errors: result.syntaxErrors.slice(0, 5), parsed: result.file.parsed },
        });
      }
      if (result.file.factsDropped > 0) {
        gaps.push({
          code: 'E_ANALYZER_FACT_LIMIT',
          stage: 'limit',
          message: `${result.file.factsDropped} capability facts dropped after the per-file cap (${limits.maxFacts} total, ${limits.maxFactsPerCapability} per capability)`,
          details: { dropped: result.file.factsDropped },
        });
      }
      return { facts, gaps };
    },
  };
}

async function analyzeOversized(
  node: NodeView,
  maxParseBytes: number,
  limits: ExtractLimits,
): Promise<AnalyzerResult> {
  const length = Math.min(node.size, MAX_FALLBACK_BYTES);
  const source = decodeSource(await node.read({ offset: 0, length }));
  const lines = buildLineIndex(source);
  const ctx = new WalkContext(source, lines, limits, true);
  fallbackScan(ctx);
  const file: JsFileFact = {
    bytes: node.size,
    lines: lines.lines,
    longestLine: lines.longestLine,
    minified: lines.longestLine >= 1000,
    parsed: 'skipped',
    syntaxErrors: 0,
    identifiers: 0,
    mangledIdentifiers: 0,
    stringLiterals: ctx.stringLiterals,
    highEntropyStrings: ctx.highEntropyStrings,
    factsDropped: ctx.factsDropped,
  };
  const facts: Fact[] = ctx.facts.map((fact) => ({ kind: 'js.capability', ...fact }));
  facts.push({ kind: 'js.file', ...file });
  // References sit at the top of modules and bundles alike: the head is enough.
  facts.push({ kind: 'npm.module-refs', packages: moduleRefsOf(source.slice(0, MODULE_REFS_HEAD)) });
  return {
    facts,
    gaps: [
      {
        code: 'E_ARTIFACT_FILE_TOO_LARGE',
        stage: 'limit',
        message: `${node.size} bytes is over the ${maxParseBytes}-byte parse limit: read by the fallback string scan only${node.size > length ? ` (first ${length} bytes)` : ''}`,
        details: { size: node.size, maxParseBytes },
      },
    ],
  };
}

export const jsCapabilitiesAnalyzer: Analyzer = createJsCapabilitiesAnalyzer();
