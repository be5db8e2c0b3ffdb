import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Command, Option } from 'commander';
import { TOOL_VERSION } from '../core/version.js';
import { importIocFile } from '../intel/ioc/load.js';
import type { Indicator } from '../intel/ioc/types.js';
import { loadIntel } from '../intel/store-files.js';
import { readYaraSources } from '../intel/yara/compile.js';
import { type HuntHit, type HuntResult, huntFiles, huntLogFiles } from '../pipeline/hunt.js';
import { LOG_FORMATS, type LogFormat } from '../pipeline/hunt-logs.js';
import { EXIT } from './exit-codes.js';
import { createProgressBar } from './progress.js';
import { renderHuntExtra } from './report-choice.js';

/** Repeatable options (`--yara a --yara b`) instead of variadic ones, which would swallow the paths. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface HuntFlags {
  logs?: boolean;
  logFormat?: LogFormat;
  ioc?: string[];
  yara?: string[];
  source?: string[];
  store: boolean;
  intelDir?: string;
  deep?: boolean;
  include?: string[];
  exclude?: string[];
  format: 'text' | 'json' | 'sarif' | 'html';
  json?: boolean;
  output?: string;
  quiet?: boolean;
}

/** `countersign hunt <path>...` and `countersign hunt --logs <file>...`: exit 1 when anything is found. */
export function registerHuntCommand(program: Command): void {
  program
    .command('hunt')
    .description(
      'sweep files (hash, file-name IOCs, YARA) or logs (--logs: domain, URL, IP IOCs) for known-bad indicators',
    )
    .argument('<paths...>', 'files or folders; with --logs, log files')
    .option('--logs', 'the paths are DNS, proxy or web logs (Zeek, Squid, JSON lines, plain text)')
    .addOption(
      new Option('--log-format <format>', 'log format (default: from each file)').choices([...LOG_FORMATS]),
    )
    .option(
      '--ioc <file>',
      'also use this IOC list for this run (text, CSV needs import, STIX, MISP)',
      collect,
    )
    .option('--yara <path>', 'also use these YARA rule files or folders for this run', collect)
    .option('--source <name>', 'only these imported intel sources (see countersign intel list)', collect)
    .option('--no-store', 'ignore imported intel: only --ioc and --yara')
    .option('--intel-dir <dir>', 'intel folder (default: $COUNTERSIGN_HOME/intel or ~/.countersign/intel)')
    .option('--deep', 'look inside archives and installers')
    .option('--include <glob>', 'only files whose path (relative to the input) or name matches', collect)
    .option('--exclude <glob>', 'skip files whose path or name matches', collect)
    .addOption(
      new Option('-f, --format <format>', 'report format')
        .choices(['text', 'json', 'sarif', 'html'])
        .default('text'),
    )
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-q, --quiet', 'no progress bar')
    .action(async (paths: string[], flags: HuntFlags) => {
      const indicators: Indicator[] = [];
      for (const file of flags.ioc ?? []) {
        const imported = await importIocFile(file, { source: basename(file) });
        indicators.push(...imported.indicators);
        if (imported.rejected.length > 0) {
          process.stderr.write(
            `countersign: ${file}: ${imported.rejected.length} line(s) are not indicators, skipped\n`,
          );
        }
      }
      const yara = flags.yara ? await readYaraSources(flags.yara) : [];
      const intel = await loadIntel({
        ...(flags.intelDir ? { dir: flags.intelDir } : {}),
        ...(flags.source ? { names: flags.source } : {}),
        skipStore: !flags.store,
        adHoc: { indicators, yara },
      });
      if (!intel.iocs && !intel.yara) {
        process.stderr.write(
          'countersign: no intel to hunt with: import some (countersign intel load 3cx, countersign intel import <file> --name <n>) or pass --ioc/--yara\n',
        );
        process.exitCode = EXIT.usage;
        return;
      }
      let result: HuntResult;
      if (flags.logs) {
        result = await huntLogFiles(paths, intel.iocs, flags.logFormat ? { format: flags.logFormat } : {});
      } else {
        const progress = flags.quiet ? undefined : createProgressBar(process.stderr);
        try {
          result = await huntFiles(
            paths,
            { ...(intel.iocs ? { iocs: intel.iocs } : {}), ...(intel.yara ? { yara: intel.yara } : {}) },
            {
              ...(flags.deep ? { deep: true } : {}),
              ...(flags.include ? { include: flags.include } : {}),
              ...(flags.exclude ? { exclude: flags.exclude } : {}),
              ...(progress ? { onProgress: progress.update } : {}),
            },
          );
        } finally {
          progress?.done();
        }
      }
      const format = flags.json ? 'json' : flags.format;
      const report =
        format === 'json'
          ? `${JSON.stringify({ tool: { name: 'countersign', version: TOOL_VERSION }, ...result }, null, 2)}\n`
          : (renderHuntExtra(result, format) ?? huntText(result));
      if (flags.output) await writeFile(flags.output, report);
      else process.stdout.write(report);
      process.exitCode = result.hits.length > 0 ? EXIT.findings : EXIT.ok;
    });
}

function whereText(hit: HuntHit): string {
  const { where } = hit;
  const place = where.line !== undefined ? `${where.file}:${where.line}` : where.file;
  const inner = where.node?.includes('!/') ? ` (${where.node})` : '';
  const offset = where.offset !== undefined ? ` @${where.offset}` : '';
  const context = [where.time, where.host ? `client ${where.host}` : undefined].filter(Boolean).join(', ');
  return `${place}${inner}${offset}${context ? `  [${context}]` : ''}`;
}

export function huntText(result: HuntResult): string {
  const lines: string[] = [];
  const what =
    result.mode === 'logs'
      ? `${result.stats.files} log file(s), ${result.stats.lines ?? 0} lines`
      : `${result.stats.files} file(s)`;
  lines.push(
    `hunted ${what} in ${result.stats.durationMs} ms: ${result.hits.length} hit(s) on ${result.summary.length} indicator(s)`,
  );
  if (result.summary.length > 0) {
    lines.push('', 'indicators found:');
    for (const row of result.summary) {
      lines.push(
        `  ${row.type.padEnd(12)} ${row.value}  (${row.source}): ${row.hits} hit(s) in ${row.files} file(s)`,
      );
    }
    lines.push('', 'hits:');
    for (const hit of result.hits) {
      const source = [hit.source.name, hit.source.location].filter(Boolean).join(' ');
      lines.push(`  ${whereText(hit)}`);
      lines.push(
        `    ${hit.indicator.type} ${hit.indicator.original} (${hit.how}) from ${source}; seen: ${hit.observed}`,
      );
    }
  }
  if (result.gaps.length > 0) {
    lines.push('', `not looked at (${result.gaps.length}):`);
    for (const gap of result.gaps.slice(0, 50)) lines.push(`  ${gap.node}: ${gap.message} [${gap.code}]`);
  }
  return `${lines.join('\n')}\n`;
}
