import type { Analyzer, AnalyzerResult, NodeHead, NodeView } from '../../core/plugin.js';
import type { YaraRuleSet } from './compile.js';
import { scanWithYara, type YaraRuleMatch } from './scan.js';

/** One YARA rule that matched a node, with its string offsets in the node's content. */
export type YaraMatchFact = YaraRuleMatch;

declare module '../../core/facts.js' {
  interface FactRegistry {
    'yara.match': YaraMatchFact;
  }
}

export interface YaraAnalyzerOptions {
  /** Largest node scanned (default 256 MiB); larger ones get a coverage gap. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * `analyzer/yara`: every file node through the compiled rule sets -> one `yara.match` fact per
 * matching rule. The rules are compiled once by the caller and shared by every node.
 */
export function yaraAnalyzer(rules: YaraRuleSet, options: YaraAnalyzerOptions = {}): Analyzer {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return {
    id: 'analyzer/yara',
    version: 1,
    accepts: (node: NodeHead) => node.size > 0,
    async analyze(node: NodeView): Promise<AnalyzerResult> {
      if (node.size > maxBytes) {
        return {
          facts: [],
          gaps: [
            {
              code: 'E_ARTIFACT_FILE_TOO_LARGE',
              stage: 'analyze',
              message: `YARA: ${node.size} bytes is over the ${maxBytes}-byte scan limit`,
            },
          ],
        };
      }
      const bytes = await node.read();
      const matches = scanWithYara(rules, bytes, { name: node.name, path: node.path });
      return { facts: matches.map((match) => ({ kind: 'yara.match' as const, ...match })), gaps: [] };
    },
  };
}
