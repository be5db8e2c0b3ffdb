import type { Fact } from '../../core/facts.js';
import type { Analyzer, AnalyzerResult, GapInput, NodeHead, NodeView } from '../../core/plugin.js';
import type { ExtractLimits } from './context.js';
import { DEFAULT_EXTRACT_LIMITS, extractJsCapabilities, type JsLang } from './extract.js';
import type { JsFileFact } from './facts.js';
import './facts.js';
import { WalkContext } from './context.js';
import { fallbackScan } from './fallback.js';
import { buildLineIndex } from './line-index.js';

export interface JsCapabilitiesOptions {
  /** Files larger than this are not parsed; they get the fallback string scan and a coverage gap. */
  readonly maxParseBytes?: number;
  readonly limits?: Partial<ExtractLimits>;
}

export const DEFAULT_MAX_PARSE_BYTES = 16 * 1024 * 1024;
/** A cap on what the fallback reads of an oversized file: it is linear, but memory is not free. */
const MAX_FALLBACK_BYTES = 64 * 1024 * 1024;

function langOf(node: NodeHead): JsLang {
  if (/\.tsx$/i.test(node.name)) return 'tsx';
  if (node.type === 'typescript') return 'ts';
  return 'jsx';
}

/** UTF-8 with replacement for bad bytes (a hostile file must not stop the scan), BOM dropped. */
function decode(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * `analyzer/js-capabilities`: JavaScript and TypeScript files -> `js.capability` facts (what the
 * code can do, with line, column and snippet) and one `js.file` fact. Never runs the code.
 */
export function createJsCapabilitiesAnalyzer(options: JsCapabilitiesOptions = {}): Analyzer {
  const maxParseBytes = options.maxParseBytes ?? DEFAULT_MAX_PARSE_BYTES;
  const limits = { ...DEFAULT_EXTRACT_LIMITS, ...options.limits };
  return {
    id: 'analyzer/js-capabilities',
    version: 3,
    // The bytes, the name (parser by extension) and these settings.
    cacheKey: () => JSON.stringify({ maxParseBytes, limits }),
    accepts(node: NodeHead): boolean {
      return node.type === 'javascript' || node.type === 'typescript';
    },
    async analyze(node: NodeView): Promise<AnalyzerResult> {
      if (node.size > maxParseBytes) return analyzeOversized(node, maxParseBytes, limits);
      const source = decode(await node.read());
      const result = extractJsCapabilities(source, { filename: node.name, lang: langOf(node), limits });
      const facts: Fact[] = result.facts.map((fact) => ({ kind: 'js.capability', ...fact }));
      facts.push({ kind: 'js.file', ...result.file });
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
  const source = decode(await node.read({ offset: 0, length }));
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
