import type { JsCapability } from '../../analyzers/js/facts.js';
import type { AnalysedInstallScript, NpmManifestFact } from '../../analyzers/npm-manifest.js';
import type { Evidence } from '../../core/findings.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { NodeRule, ReleaseRule } from '../evaluate.js';
import { INSTALL_HOOKS, packageFile, packagesOf } from './package-view.js';

const UA_PARSER = 'https://github.com/advisories/GHSA-pjwm-rvh2-c87w';
const SHAI_HULUD = 'https://www.wiz.io/blog/shai-hulud-npm-supply-chain-attack';
const NPM_SCRIPTS = 'https://docs.npmjs.com/cli/v11/using-npm/scripts';

function manifestOf(node: ScanNode): NpmManifestFact | undefined {
  return node.facts.find(
    (fact): fact is { kind: 'npm.manifest' } & NpmManifestFact => fact.kind === 'npm.manifest',
  );
}

/** The scripts that run when a consumer installs (or uninstalls) the package. */
function consumerScripts(manifest: NpmManifestFact): AnalysedInstallScript[] {
  return (manifest.installScripts ?? []).filter(
    (script) => INSTALL_HOOKS.has(script.hook) || script.hook.endsWith('uninstall'),
  );
}

function scriptEvidence(node: ScanNode, script: AnalysedInstallScript): Evidence {
  return {
    role: 'primary',
    node: node.path,
    snippet: `"${script.hook}": ${JSON.stringify(script.command)}`.slice(0, 200),
  };
}

export const npmInstallScriptPresent: NodeRule = {
  id: 'npm.install-script.present',
  version: 1,
  title: 'Runs a script when installed',
  identifies: 'capability.npm.install-script',
  severity: 'info',
  confidence: 'high',
  scope: 'node',
  factKinds: ['npm.manifest'],
  rationale:
    "preinstall/install/postinstall scripts run on every `npm install` with the user's rights. Native builds (node-gyp, prebuild-install) and tools such as esbuild need them; they are reported so a reviewer knows the package runs code at install, and recognised tools are named.",
  references: [NPM_SCRIPTS],
  *evaluate({ node }) {
    const manifest = manifestOf(node);
    if (!manifest) return;
    for (const script of consumerScripts(manifest)) {
      const known = script.analysis.knownTools;
      const files = script.analysis.nodeScripts;
      yield {
        path: node.path,
        message: `${manifest.name}@${manifest.version} runs \`${script.command.slice(0, 120)}\` on ${script.hook}${
          known.length > 0 ? ` (recognised: ${known.join(', ')})` : ''
        }${files.length > 0 ? `; install-time code: ${files.join(', ')}` : ''}`,
        evidence: [scriptEvidence(node, script)],
      };
    }
  },
};

export const npmInstallScriptDownloads: NodeRule = {
  id: 'npm.install-script.downloads',
  version: 1,
  title: 'An install script downloads something or pipes into an interpreter',
  identifies: 'threat.npm.install-script.download',
  severity: 'high',
  confidence: 'medium',
  scope: 'node',
  factKinds: ['npm.manifest'],
  rationale:
    'A script that fetches code at install time runs whatever the server sends that day, unseen by any review of the package: ua-parser-js (2021) fetched a miner with curl/wget and certutil; `curl … | sh` runs it at once.',
  remediation:
    'Install with --ignore-scripts; ask the maintainers what the download is and pin it by digest.',
  references: [UA_PARSER],
  *evaluate({ node }) {
    const manifest = manifestOf(node);
    if (!manifest) return;
    for (const script of consumerScripts(manifest)) {
      const { downloads, pipesToInterpreter } = script.analysis;
      if (downloads.length === 0 && pipesToInterpreter.length === 0) continue;
      const what = [
        ...downloads.map((download) => `${download.tool}${download.url ? ` ${download.url}` : ''}`),
        ...pipesToInterpreter.map((pipe) => `${pipe.from} | ${pipe.interpreter}`),
      ];
      yield {
        path: node.path,
        message: `the ${script.hook} script of ${manifest.name}@${manifest.version} fetches or runs fetched data: ${what.slice(0, 4).join('; ')}`,
        evidence: [scriptEvidence(node, script)],
      };
    }
  },
};

export const npmInstallScriptRunsEncodedShell: NodeRule = {
  id: 'npm.install-script.runs-encoded-shell',
  version: 1,
  title: 'An install script runs an encoded command',
  identifies: 'threat.npm.install-script.encoded-shell',
  severity: 'critical',
  confidence: 'high',
  scope: 'node',
  factKinds: ['npm.manifest'],
  rationale:
    'PowerShell `-EncodedCommand` and base64 piped into a shell exist to hide what runs. No build step needs to hide its command line from the person installing the package.',
  remediation: 'Do not install; decode the payload offline to see what it does.',
  references: [UA_PARSER, 'https://attack.mitre.org/techniques/T1027/010/'],
  *evaluate({ node }) {
    const manifest = manifestOf(node);
    if (!manifest) return;
    for (const script of manifest.installScripts ?? []) {
      const encoded = script.analysis.encodedShells;
      if (encoded.length === 0) continue;
      yield {
        path: node.path,
        message: `the ${script.hook} script of ${manifest.name}@${manifest.version} runs ${encoded
          .map(
            (shell) =>
              `${shell.form}${shell.payloadChars !== undefined ? ` (${shell.payloadChars} chars)` : ''}`,
          )
          .join(', ')}`,
        evidence: [scriptEvidence(node, script)],
      };
    }
  },
};

/** What install-time code may do that a build step does not need to explain to anyone. */
const RISKY_AT_INSTALL: ReadonlySet<JsCapability> = new Set<JsCapability>([
  'network.outbound',
  'network.dns',
  'network.github-api',
  'process.spawn',
  'process.shell-command',
  'process.ai-cli-bypass',
  'filesystem.sensitive-path',
  'filesystem.workflow-path',
  'filesystem.persistence-path',
  'environment.bulk-read',
  'environment.serialize',
  'environment.token',
  'code.eval',
  'code.decode-then-execute',
  'npm.publish',
]);

/** What an install script's line may name without being a download (the downloads rule has those). */
const RISKY_ON_THE_LINE: ReadonlySet<JsCapability> = new Set(
  [...RISKY_AT_INSTALL].filter((capability) => capability !== 'process.shell-command'),
);

export const npmInstallScriptRiskyTarget: NodeRule = {
  id: 'npm.install-script.risky-target',
  version: 1,
  title: 'An install script names credentials, a persistence place, workflows or publishing',
  identifies: 'threat.npm.install-script.risky-target',
  severity: 'medium',
  confidence: 'medium',
  scope: 'node',
  factKinds: ['npm.manifest'],
  rationale:
    "A lifecycle script's own command line can do the harm with no file behind it: `echo … >> ~/.bashrc` (persistence), " +
    '`cat ~/.npmrc | …`, `npm publish`, writing .github/workflows. Build steps compile and copy; they do not name these.',
  remediation: 'Install with --ignore-scripts and ask the maintainers why the script touches it.',
  references: [SHAI_HULUD, NPM_SCRIPTS],
  *evaluate({ node }) {
    const manifest = manifestOf(node);
    if (!manifest) return;
    for (const script of consumerScripts(manifest)) {
      const risky = (script.signals ?? []).filter((signal) => RISKY_ON_THE_LINE.has(signal.capability));
      if (risky.length === 0) continue;
      const named = [...new Set(risky.map((signal) => `${signal.detail} (${signal.capability})`))];
      yield {
        path: node.path,
        message: `the ${script.hook} script of ${manifest.name}@${manifest.version} names ${named.join(', ')}`,
        evidence: [scriptEvidence(node, script)],
      };
    }
  },
};

export const npmInstallScriptRiskyCode: ReleaseRule = {
  id: 'npm.install-script.risky-code',
  version: 1,
  title: 'A file run at install time reaches the network, processes, secrets or dynamic code',
  identifies: 'threat.npm.install-time-code',
  severity: 'medium',
  confidence: 'medium',
  scope: 'release',
  rationale:
    "`node setup.js` in a postinstall hook runs setup.js before anything imports the package. Shai-Hulud's and nx's payloads ran this way, reading tokens and calling out. Well-known installers (esbuild's install.js) are left to the capability rules.",
  references: [SHAI_HULUD, NPM_SCRIPTS],
  *evaluate({ nodes }) {
    for (const view of packagesOf(nodes)) {
      for (const script of consumerScripts(view.manifest)) {
        if (script.analysis.knownTools.length > 0) continue;
        for (const relative of script.analysis.nodeScripts) {
          const file = packageFile(view, relative);
          if (!file) continue;
          const risky = file.facts.filter(
            (fact): fact is Extract<(typeof file.facts)[number], { kind: 'js.capability' }> =>
              fact.kind === 'js.capability' && RISKY_AT_INSTALL.has(fact.capability),
          );
          if (risky.length === 0) continue;
          const names = [...new Set(risky.map((fact) => fact.capability))];
          yield {
            path: file.path,
            message: `${relative}, run by the ${script.hook} script of ${view.manifest.name}@${view.manifest.version}, can ${names.join(', ')} (first at line ${risky[0]!.line})`,
            evidence: [
              ...risky.slice(0, 5).map((fact) => ({
                role: 'primary' as const,
                node: file.path,
                line: { start: fact.line },
                column: fact.column,
                snippet: fact.snippet,
              })),
              { ...scriptEvidence(view.manifestNode, script), role: 'supporting' as const },
            ],
          };
        }
      }
    }
  },
};

export const NPM_INSTALL_SCRIPT_RULES = [
  npmInstallScriptPresent,
  npmInstallScriptDownloads,
  npmInstallScriptRunsEncodedShell,
  npmInstallScriptRiskyTarget,
  npmInstallScriptRiskyCode,
] as const;
