import { readFile, writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { defaultAnalyzers } from '../analyzers/index.js';
import { withNpmAnalyzers } from '../analyzers/npm/index.js';
import { CountersignError } from '../core/errors.js';
import { digestsForIntel } from '../intel/scan-needs.js';
import { loadIntel } from '../intel/store-files.js';
import { defaultCacheFolder, openScanCache } from '../pipeline/cache/scan-cache.js';
import { type VetResult, vet } from '../pipeline/vet.js';
import { parseVetPolicy } from '../pipeline/vet-policy.js';
import type { Decision, VetPolicy } from '../pipeline/vet-verdict.js';
import { renderVetText } from '../report/vet-text.js';
import { EXIT } from './exit-codes.js';
import { collect, loadPackuments } from './options.js';
import { createProgressBar } from './progress.js';
import { renderVetReport, type VetFormat, vetFormatOption } from './report-choice.js';

export interface VetFlags {
  baseline?: string[];
  failOn?: Exclude<Decision, 'pass'>;
  json?: boolean;
  format?: VetFormat;
  output?: string;
  quiet?: boolean;
  fuzzy?: boolean;
  policy?: string;
  strict?: boolean;
  /** `--no-cache` sets it false. */
  cache?: boolean;
  cacheDir?: string;
  /** Commander's `--no-intel` sets it false. */
  intel?: boolean;
  intelDir?: string;
  /** `--packument` files: npm registry metadata for both releases. */
  packument?: string[];
}

/** A `--policy` JSON file: thresholds and scores over the defaults. */
async function readPolicy(path: string): Promise<VetPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CountersignError('E_INPUT_NOT_FOUND', `cannot read the policy file ${path}`, { cause: error });
  }
  try {
    return parseVetPolicy(JSON.parse(text));
  } catch (error) {
    if (error instanceof CountersignError) throw error;
    throw new CountersignError('E_USAGE', `the policy file ${path} is not JSON: ${(error as Error).message}`);
  }
}

export function parseFailOn(value: string): Exclude<Decision, 'pass'> {
  if (value !== 'review' && value !== 'block') throw new InvalidArgumentError('expected review or block');
  return value;
}

/** `--fail-on review` fails on review and block; `--fail-on block` on block only. */
export function meetsFailOn(decision: Decision, failOn: VetFlags['failOn']): boolean {
  if (!failOn) return false;
  return failOn === 'review' ? decision !== 'pass' : decision === 'block';
}

/** Runs vet with the progress bar on standard error unless quiet; shared by `vet` and `diff`. */
export async function runVet(candidate: string[], baseline: string[], flags: VetFlags): Promise<VetResult> {
  const policy = flags.policy ? await readPolicy(flags.policy) : undefined;
  // Imported intel (countersign intel import/load) is matched when there is any, as in `scan`.
  const loaded =
    flags.intel === false ? undefined : await loadIntel(flags.intelDir ? { dir: flags.intelDir } : {});
  const intel = loaded && loaded.sources.length > 0 ? loaded : undefined;
  // npm analyzers: registry metadata when given, and module references (is a new dependency used?).
  const analyzers = withNpmAnalyzers(defaultAnalyzers(), {
    packuments: await loadPackuments(flags.packument),
  });
  const progress = flags.quiet ? undefined : createProgressBar(process.stderr);
  const cache = flags.cache === false ? undefined : openScanCache(flags.cacheDir ?? defaultCacheFolder());
  try {
    return await vet(candidate, baseline, {
      digests: digestsForIntel(intel),
      analyzers,
      ...(intel ? { intel } : {}),
      ...(cache ? { cache } : {}),
      ...(policy ? { policy } : {}),
      ...(flags.fuzzy === false ? { fuzzy: false } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
    });
  } finally {
    progress?.done();
    cache?.close();
  }
}

/** The cache flags `vet` and `diff` share: on by default, since vetting N+1 re-reads N. */
export function withCacheOptions(command: Command): Command {
  return command
    .option(
      '--packument <file>',
      'npm registry metadata (packument JSON) for the package of that name, both releases; repeatable',
      collect,
    )
    .option('--no-cache', 'analyse everything again: do not read or write the analysis cache')
    .option(
      '--cache-dir <dir>',
      'analysis cache folder (default: $COUNTERSIGN_HOME/cache or ~/.countersign/cache)',
    );
}

export async function emit(report: string, output: string | undefined): Promise<void> {
  if (output) await writeFile(output, report);
  else process.stdout.write(report);
}

export function registerVetCommand(program: Command): void {
  const command = program
    .command('vet')
    .description('judge a new release against the last trusted one: pass, review or block, with reasons')
    .argument('<paths...>', 'the new release (files or folders)')
    .requiredOption(
      '--baseline <path>',
      'the last trusted release (file or folder; repeat for several)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--fail-on <decision>',
      `exit ${EXIT.findings} when the verdict is at least review|block`,
      parseFailOn,
    )
    .option('--json', 'JSON report (the scan report of the new release plus verdict, findings and diff)')
    .addOption(vetFormatOption())
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('-q, --quiet', 'no progress bar')
    .option('--no-fuzzy', 'do not pair renamed files by TLSH similarity')
    .option('--strict', `exit ${EXIT.incomplete} when any part of either release could not be looked at`)
    .option(
      '--intel-dir <dir>',
      'intel folder to match against (default: $COUNTERSIGN_HOME/intel or ~/.countersign/intel)',
    )
    .option('--no-intel', 'do not match the imported intel (IOCs, OSV, YARA)')
    .option(
      '--policy <file>',
      'JSON verdict policy: block/review thresholds, blockScore, reviewScore, countInherited',
    );
  withCacheOptions(command).action(async (paths: string[], flags: VetFlags) => {
    const result = await runVet(paths, flags.baseline ?? [], flags);
    const color = !flags.output && process.stdout.isTTY === true;
    const format = flags.json ? 'json' : (flags.format ?? 'text');
    await emit(
      renderVetReport(result, format, () => renderVetText(result, { color })),
      flags.output,
    );
    setExitCode(result, flags);
  });
}

/** Findings at `--fail-on` come first: a blocked release exits 1 even when it was also incomplete. */
export function setExitCode(result: VetResult, flags: VetFlags): void {
  if (meetsFailOn(result.verdict.decision, flags.failOn)) process.exitCode = EXIT.findings;
  else if (flags.strict && result.gaps.length > 0) process.exitCode = EXIT.incomplete;
}
