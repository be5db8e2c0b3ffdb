import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { defaultAnalyzers } from '../analyzers/index.js';
import { withNpmAnalyzers } from '../analyzers/npm/index.js';
import type { Limits } from '../core/limits.js';
import type { DigestAlgorithm } from '../core/scan-result.js';
import { loadIntel } from '../intel/store-files.js';
import { defaultCacheFolder, openScanCache } from '../pipeline/cache/scan-cache.js';
import { isChosenOmission, scan } from '../pipeline/scan.js';
import { type ReportFormat, renderReport } from '../report/index.js';
import { writeJsonReport } from '../report/json.js';
import { EXIT } from './exit-codes.js';
import { collect, loadPackuments, parseDigests, parsePositiveInt, parseSize } from './options.js';
import { createProgressBar } from './progress.js';
import { renderScanExtra } from './report-choice.js';

interface ScanFlags {
  format: ReportFormat | 'sarif' | 'html';
  json?: boolean;
  output?: string;
  tree?: boolean;
  quiet?: boolean;
  strict?: boolean;
  digests?: DigestAlgorithm[];
  maxDepth?: number;
  maxFiles?: number;
  maxTotalBytes?: number;
  maxFileBytes?: number;
  maxRatio?: number;
  scratchDir?: string;
  inventoryOnly?: boolean;
  intel: boolean;
  intelDir?: string;
  cache?: boolean;
  cacheDir?: string;
  packument?: string[];
  deep?: boolean;
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('unpack files or folders recursively and inventory everything inside')
    .argument('<paths...>', 'files or folders to scan')
    .addOption(
      new Option('-f, --format <format>', 'report format')
        .choices(['text', 'json', 'cyclonedx', 'sarif', 'html'])
        .default('text'),
    )
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--tree', 'text report: list every node of the tree')
    .option('-q, --quiet', 'no progress bar')
    .option(
      '--deep',
      'folders: also analyse the packages installed in node_modules, and check them against the lockfile',
    )
    .option(
      '--strict',
      `exit ${EXIT.incomplete} when any part could not be looked at (coverage gaps; node_modules left out without --deep does not count)`,
    )
    .option(
      '--digests <list>',
      'digests per node, e.g. sha256,sha1,md5 or all (default: sha256, plus sha1/md5 when imported hash IOCs use them)',
      parseDigests,
    )
    .option('--max-depth <n>', 'deepest nesting level to unpack (default 32)', parsePositiveInt)
    .option('--max-files <n>', 'most nodes in one scan (default 200000)', parsePositiveInt)
    .option('--max-total-bytes <size>', 'most unpacked bytes in one scan (default 16G)', parseSize)
    .option('--max-file-bytes <size>', 'largest unpacked entry (default 4G)', parseSize)
    .option(
      '--max-ratio <n>',
      'largest expansion ratio of an entry or a whole input, past 1 MiB (default 200)',
      parsePositiveInt,
    )
    .option('--inventory-only', 'only the tree (types, digests, entropy): no content analyzers, no rules')
    .option(
      '--intel-dir <dir>',
      'intel folder to match against (default: $COUNTERSIGN_HOME/intel or ~/.countersign/intel)',
    )
    .option('--no-intel', 'do not match the imported intel (IOCs, OSV, YARA)')
    .option(
      '--packument <file>',
      'npm registry metadata (packument JSON) for the package of that name; repeatable',
      collect,
    )
    .option('--scratch-dir <dir>', 'where large unpacked entries are kept during the scan (default: OS temp)')
    .option('--cache', 'reuse (and keep) trees and analyses seen before, as vet does by default')
    .option('--cache-dir <dir>', 'analysis cache folder; implies --cache (default: $COUNTERSIGN_HOME/cache)')
    .action(async (paths: string[], flags: ScanFlags) => {
      const limits: Partial<Limits> = {
        ...(flags.maxDepth !== undefined ? { maxDepth: flags.maxDepth } : {}),
        ...(flags.maxFiles !== undefined ? { maxFiles: flags.maxFiles } : {}),
        ...(flags.maxTotalBytes !== undefined ? { maxTotalBytes: flags.maxTotalBytes } : {}),
        ...(flags.maxFileBytes !== undefined ? { maxFileBytes: flags.maxFileBytes } : {}),
        ...(flags.maxRatio !== undefined ? { maxCompressionRatio: flags.maxRatio } : {}),
      };
      // Imported intel (countersign intel import/load) is matched when there is any.
      const intel =
        flags.intel && !flags.inventoryOnly
          ? await loadIntel(flags.intelDir ? { dir: flags.intelDir } : {})
          : undefined;
      const packuments = await loadPackuments(flags.packument);
      const progress = flags.quiet ? undefined : createProgressBar(process.stderr);
      const cache =
        flags.cache || flags.cacheDir ? openScanCache(flags.cacheDir ?? defaultCacheFolder()) : undefined;
      const result = await (async () => {
        try {
          return await scan(paths, {
            ...(cache ? { cache } : {}),
            limits,
            ...(flags.digests ? { digests: flags.digests } : {}),
            ...(flags.inventoryOnly
              ? { analyzers: [], rules: [] }
              : packuments.length > 0
                ? { analyzers: withNpmAnalyzers(defaultAnalyzers(), { packuments }) }
                : {}),
            ...(intel && intel.sources.length > 0 ? { intel } : {}),
            ...(flags.scratchDir ? { scratchParent: flags.scratchDir } : {}),
            ...(progress ? { onProgress: progress.update } : {}),
            nodeModules: flags.deep ? 'analyse' : 'skip',
          });
        } finally {
          progress?.done();
          cache?.close();
        }
      })();
      const format = flags.json ? 'json' : flags.format;
      const extra = renderScanExtra(result, format);
      if (extra === undefined && format === 'json') {
        // Streamed a node at a time: a whole report string (plus its plain-data copy) of a large
        // scan would be the peak of the process's memory.
        await writeJsonReport(result, flags.output ?? process.stdout);
      } else {
        const report =
          extra ??
          renderReport(result, format as ReportFormat, {
            tree: flags.tree ?? false,
            color: !flags.output && process.stdout.isTTY === true,
          });
        if (flags.output) await writeFile(flags.output, report);
        else process.stdout.write(report);
      }
      // Leaving node_modules out was the user's choice (no --deep): reported, but not a failure to look.
      const gaps = result.gaps.filter((gap) => !isChosenOmission(gap));
      if (flags.strict && gaps.length > 0) process.exitCode = EXIT.incomplete;
    });
}
