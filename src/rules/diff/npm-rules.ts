import type { JsCapability } from '../../analyzers/js/facts.js';
import type { ManifestInstallScript } from '../../analyzers/npm-manifest.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { NodePair } from '../../diff/tree-diff.js';
import { NPM_PACKAGE_DIFF_RULES } from './npm-package-rules.js';
import {
  addedFacts,
  addedPairs,
  changedPairs,
  type DiffRule,
  factOf,
  factsOf,
  pairEvidence,
} from './types.js';

const SHAI_HULUD = 'https://www.wiz.io/blog/shai-hulud-npm-supply-chain-attack';
const CHALK_DEBUG = 'https://www.aikido.dev/blog/npm-debug-and-chalk-packages-compromised';
const UA_PARSER = 'https://github.com/advisories/GHSA-pjwm-rvh2-c87w';

/** The hooks a consumer's `npm install` runs (npm 7+ no longer runs the uninstall hooks). */
const CONSUMER_HOOKS: ReadonlySet<string> = new Set(['preinstall', 'install', 'postinstall']);

/**
 * A script that only runs recognised build tools (bcrypt 6 moving from node-pre-gyp to
 * node-gyp-build): changing from one such script to another is a build change, not a new foothold.
 */
function isOnlyKnownBuildStep(analysis: ManifestInstallScript['analysis'] | undefined): boolean {
  if (!analysis || analysis.knownTools.length === 0) return false;
  const unexplained = analysis.programs.filter(
    (program) => !(analysis.knownTools as readonly string[]).includes(program) && program !== 'npx',
  );
  return (
    unexplained.length === 0 &&
    analysis.downloads.length === 0 &&
    analysis.encodedShells.length === 0 &&
    analysis.pipesToInterpreter.length === 0 &&
    analysis.inlineCode.length === 0
  );
}

/** What a lifecycle command line does, in a few words: `downloads with curl; runs setup.js`. */
function scriptSummary(analysis: ManifestInstallScript['analysis'] | undefined): string {
  if (!analysis) return '';
  return [
    ...(analysis.encodedShells.length > 0
      ? [`runs an encoded command (${analysis.encodedShells[0]!.form})`]
      : []),
    ...(analysis.downloads.length > 0
      ? [`downloads with ${analysis.downloads.map((each) => each.tool).join(', ')}`]
      : []),
    ...(analysis.pipesToInterpreter.length > 0
      ? [`pipes ${analysis.pipesToInterpreter[0]!.from} into ${analysis.pipesToInterpreter[0]!.interpreter}`]
      : []),
    ...(analysis.nodeScripts.length > 0 ? [`install-time code: ${analysis.nodeScripts.join(', ')}`] : []),
    ...(analysis.knownTools.length > 0 ? [`recognised: ${analysis.knownTools.join(', ')}`] : []),
  ].join('; ');
}

export const npmInstallScriptAdded: DiffRule = {
  id: 'npm.install-script.added',
  version: 1,
  title: 'The package gained or changed an install-time script',
  identifies: 'threat.npm.install-script',
  severity: 'high',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    "Lifecycle scripts run on every `npm install` with the user's rights, before any code is imported. ua-parser-js, coa, rc and Shai-Hulud each added one to a package that had none. Only the hooks a consumer's install runs count (preinstall, install, postinstall); a switch between recognised native build tools (node-pre-gyp to node-gyp-build) is not a new foothold.",
  remediation: 'Read the script and what it runs; install with --ignore-scripts until it is explained.',
  references: [UA_PARSER, SHAI_HULUD],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      const before = factOf(pair.baseline, 'npm.manifest');
      const after = factOf(pair.candidate, 'npm.manifest');
      if (!before || !after) continue;
      for (const [hook, script] of Object.entries(after.lifecycleScripts)) {
        // `prepare` and `prepublish` run in the package's own clone, not when a consumer installs it.
        if (!CONSUMER_HOOKS.has(hook)) continue;
        const previous = before.lifecycleScripts[hook];
        if (previous === script) continue;
        const analysis = after.installScripts?.find((each) => each.hook === hook)?.analysis;
        if (previous !== undefined && isOnlyKnownBuildStep(analysis)) continue;
        const what = scriptSummary(analysis);
        yield {
          path: pair.candidate.path,
          message: `${
            previous === undefined
              ? `${after.name}@${after.version} adds a ${hook} script (${before.version} had none): ${script}`
              : `${after.name}@${after.version} changes its ${hook} script from \`${previous}\` to \`${script}\``
          }${what ? ` (${what})` : ''}`,
          evidence: pairEvidence(
            pair,
            `"${hook}": ${JSON.stringify(script)}`.slice(0, 200),
            previous ?? 'none',
          ),
        };
      }
    }
  },
};

/** Capabilities that change what a library can do to its host; others (decode, minified) are shapes. */
const RISKY_JS: ReadonlySet<JsCapability> = new Set<JsCapability>([
  'network.outbound',
  'network.dns',
  'network.geolocation',
  'network.github-api',
  'process.spawn',
  'process.shell-command',
  'process.silent',
  'process.dll-load',
  'process.ai-cli-bypass',
  'filesystem.delete',
  'filesystem.sensitive-path',
  'filesystem.workflow-path',
  'filesystem.persistence-path',
  'environment.bulk-read',
  'environment.serialize',
  'environment.token',
  'code.eval',
  'code.function-constructor',
  'code.vm',
  'code.module-compile',
  'code.decode-then-execute',
  'browser.fetch-override',
  'browser.xhr-hook',
  'browser.ethereum',
  'crypto.wallet-address',
  'npm.publish',
  'time.date-gate',
]);

function capabilityNames(node: ScanNode | undefined): Set<string> {
  return new Set(factsOf(node, 'js.capability').map((fact) => fact.capability));
}

export const jsCapabilityAdded: DiffRule = {
  id: 'js.capability.added',
  version: 1,
  title: 'An existing script gained a sensitive capability',
  identifies: 'threat.npm.capability-gain',
  severity: 'medium',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    "chalk and debug (Sept 2025) kept their files and added browser hooks and wallet regexes to them; event-stream's flatmap-stream and nx added network and credential access. A file that gains such a capability between two versions is where to look first.",
  references: [CHALK_DEBUG, 'https://github.com/dominictarr/event-stream/issues/116'],
  *evaluate({ diff }) {
    for (const pair of changedPairs(diff)) {
      const had = capabilityNames(pair.baseline);
      const gained = addedFacts(pair, 'js.capability').filter(
        (fact) => RISKY_JS.has(fact.capability) && !had.has(fact.capability),
      );
      if (gained.length === 0) continue;
      const names = [...new Set(gained.map((fact) => fact.capability))];
      const first = gained[0]!;
      yield {
        path: pair.candidate.path,
        message: `gained ${names.join(', ')} (first at line ${first.line}: ${first.snippet})`,
        evidence: gained.slice(0, 5).map((fact) => ({
          role: 'primary' as const,
          node: pair.candidate.path,
          line: { start: fact.line },
          column: fact.column,
          snippet: fact.snippet,
        })),
      };
    }
  },
};

const OBFUSCATION = new Set<JsCapability>([
  'obfuscation.mangled-identifier',
  'obfuscation.string-array',
  'obfuscation.packer',
  'obfuscation.hidden-code',
  'obfuscation.decoder-call',
  'obfuscation.global-lookup',
  'obfuscation.api',
]);

/** A script of more than this many bytes added to a package is a bundle worth a look (Shai-Hulud: 3.6 MB). */
const LARGE_SCRIPT_BYTES = 1024 * 1024;

function obfuscationOf(node: ScanNode | undefined): Set<string> {
  return new Set(
    factsOf(node, 'js.capability')
      .filter((fact) => OBFUSCATION.has(fact.capability))
      .map((fact) => fact.capability),
  );
}

function obfuscatedHit(pair: NodePair & { candidate: ScanNode }, isNew: boolean) {
  const had = obfuscationOf(pair.baseline);
  const shapes = [...obfuscationOf(pair.candidate)].filter((name) => !had.has(name));
  const size = factOf(pair.candidate, 'js.file')?.bytes ?? pair.candidate.size;
  const large = isNew && pair.candidate.type === 'javascript' && size > LARGE_SCRIPT_BYTES;
  if (shapes.length === 0 && !large) return undefined;
  const first = factsOf(pair.candidate, 'js.capability').find((fact) => shapes.includes(fact.capability));
  const what = [
    ...(shapes.length > 0 ? [`obfuscation (${shapes.join(', ')})`] : []),
    ...(large ? [`${size} bytes of script`] : []),
  ].join(' and ');
  return {
    path: pair.candidate.path,
    message: `${isNew ? 'new file' : 'existing file now'} with ${what}`,
    evidence: [
      {
        role: 'primary' as const,
        node: pair.candidate.path,
        ...(first ? { line: { start: first.line }, snippet: first.snippet } : {}),
      },
      ...(pair.baseline ? [{ role: 'baseline' as const, node: pair.baseline.path }] : []),
    ],
  };
}

export const fileObfuscatedAdded: DiffRule = {
  id: 'file.obfuscated.added',
  version: 1,
  title: 'Obfuscated or very large script appeared',
  identifies: 'threat.runtime.obfuscation',
  severity: 'high',
  confidence: 'medium',
  scope: 'diff',
  rationale:
    "Legitimate packages publish readable or ordinarily minified code. Shai-Hulud added a 3.6 MB bundle.js; chalk/debug's payload was javascript-obfuscator output. New obfuscation in a release hides what the new code does.",
  references: [SHAI_HULUD, CHALK_DEBUG],
  *evaluate({ diff }) {
    for (const pair of addedPairs(diff)) {
      const hit = obfuscatedHit(pair, true);
      if (hit) yield hit;
    }
    for (const pair of changedPairs(diff)) {
      const hit = obfuscatedHit(pair, false);
      if (hit) yield hit;
    }
  },
};

export const NPM_DIFF_RULES: readonly DiffRule[] = [
  npmInstallScriptAdded,
  jsCapabilityAdded,
  fileObfuscatedAdded,
  ...NPM_PACKAGE_DIFF_RULES,
];
