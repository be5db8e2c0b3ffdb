import type { Analyzer, AnalyzerResult, NodeHead, NodeView } from '../../core/plugin.js';
import { moduleRefsOf } from '../../formats/npm/module-refs.js';

/** The packages a script file names in require/import (lexically): whether a dependency is used. */
export interface NpmModuleRefsFact {
  readonly packages: readonly string[];
}

declare module '../../core/facts.js' {
  interface FactRegistry {
    'npm.module-refs': NpmModuleRefsFact;
  }
}

/** Past this, only the head is read: references sit at the top of modules and bundles alike. */
const MAX_READ_BYTES = 16 * 1024 * 1024;

/**
 * `analyzer/npm-module-refs`: JavaScript and TypeScript files -> one `npm.module-refs` fact (possibly
 * empty: an empty list says the file was looked at and names no package).
 */
export const npmModuleRefsAnalyzer: Analyzer = {
  id: 'analyzer/npm-module-refs',
  version: 1,
  cacheKey: () => '',
  accepts(node: NodeHead): boolean {
    return node.type === 'javascript' || node.type === 'typescript';
  },
  async analyze(node: NodeView): Promise<AnalyzerResult> {
    const length = Math.min(node.size, MAX_READ_BYTES);
    const bytes = await node.read({ offset: 0, length });
    const source = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    return { facts: [{ kind: 'npm.module-refs', packages: moduleRefsOf(source) }], gaps: [] };
  },
};
