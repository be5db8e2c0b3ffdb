import type { JsCapability } from '../../analyzers/js/facts.js';
import { factsOfKind } from '../../core/facts.js';
import type { Identifies } from '../../core/findings.js';
import type { NodeRule } from '../evaluate.js';
import { capabilityFacts, evidenceOf, having, lineList, summarise } from './facts.js';

interface CapabilitySpec {
  readonly id: string;
  readonly title: string;
  readonly identifies: Identifies;
  readonly severity: 'info' | 'low';
  readonly capabilities: readonly JsCapability[];
  readonly rationale: string;
}

/**
 * Capabilities: what code can do. Neutral on their own (a CLI spawns processes, an SDK opens
 * sockets); they are reported so a reviewer sees them and so a diff can say "gained network
 * access", and threat rules pair them with indicators.
 */
const SPECS: readonly CapabilitySpec[] = [
  {
    id: 'js.capability.network',
    title: 'Opens network connections',
    identifies: 'capability.network.outbound',
    severity: 'info',
    capabilities: ['network.outbound', 'network.dns'],
    rationale: 'HTTP(S), sockets, fetch, XMLHttpRequest, WebSocket, DNS or a client library.',
  },
  {
    id: 'js.capability.process-spawn',
    title: 'Starts processes',
    identifies: 'capability.process.spawn',
    severity: 'low',
    capabilities: ['process.spawn'],
    rationale: 'child_process (under any alias), spawn libraries or process.binding.',
  },
  {
    id: 'js.capability.shell-command',
    title: 'Names a download-and-run or reverse-shell command line',
    identifies: 'capability.process.shell-command',
    severity: 'low',
    capabilities: ['process.shell-command'],
    rationale:
      '`curl … | sh`, PowerShell `-enc`, certutil downloads and similar inside strings (help text, or a payload).',
  },
  {
    id: 'js.capability.filesystem-write',
    title: 'Writes files or changes permissions',
    identifies: 'capability.filesystem.write',
    severity: 'info',
    capabilities: ['filesystem.write', 'filesystem.chmod'],
    rationale: 'fs writes, copies, renames, symlinks and chmod.',
  },
  {
    id: 'js.capability.filesystem-delete',
    title: 'Deletes files',
    identifies: 'capability.filesystem.delete',
    severity: 'info',
    capabilities: ['filesystem.delete'],
    rationale: 'fs unlink/rm/rmdir, fs-extra remove, rimraf.',
  },
  {
    id: 'js.capability.dynamic-code',
    title: 'Runs code built at run time',
    identifies: 'capability.runtime.dynamic-code',
    severity: 'low',
    capabilities: [
      'code.eval',
      'code.function-constructor',
      'code.vm',
      'code.module-compile',
      'code.dynamic-require',
      'code.dynamic-import',
    ],
    rationale: 'eval, Function, vm, module._compile, or require/import of a computed name.',
  },
  {
    id: 'js.capability.decode',
    title: 'Decodes encoded data',
    identifies: 'capability.runtime.decode',
    severity: 'info',
    capabilities: ['code.decode'],
    rationale: 'base64/hex buffers, atob, char codes, decipher, inflate.',
  },
  {
    id: 'js.capability.environment-read',
    title: 'Reads the environment in bulk or reads credential variables',
    identifies: 'capability.environment.read',
    severity: 'low',
    capabilities: ['environment.bulk-read', 'environment.token'],
    rationale: 'process.env enumerated or passed whole; NPM_TOKEN, GITHUB_TOKEN and similar read by name.',
  },
  {
    id: 'js.capability.system-info',
    title: 'Reads host identity',
    identifies: 'capability.system.info',
    severity: 'info',
    capabilities: ['system.info'],
    rationale: 'hostname, user, home directory, network interfaces.',
  },
  {
    id: 'js.capability.sensitive-path',
    title: 'Names a credential or profile location',
    identifies: 'capability.filesystem.sensitive',
    severity: 'low',
    capabilities: ['filesystem.sensitive-path'],
    rationale: '.npmrc, .ssh, .aws, .config/gh, wallets, browser profiles, /etc/passwd named in strings.',
  },
  {
    id: 'js.capability.persistence-path',
    title: 'Names a place whose contents run at login, at boot or on a schedule',
    identifies: 'capability.filesystem.persistence',
    severity: 'low',
    capabilities: ['filesystem.persistence-path'],
    rationale:
      'Shell startup files (.bashrc, .zshrc, .profile), cron, systemd units, LaunchAgents, the Windows Startup folder and Run keys: ' +
      'shell-completion and service installers name them, and so does malware that wants to run again.',
  },
  {
    id: 'js.capability.packed-data',
    title: 'Carries long near-random strings',
    identifies: 'capability.runtime.packed-data',
    severity: 'info',
    capabilities: ['obfuscation.high-entropy-string'],
    rationale:
      'Base64/hex blobs: embedded assets in bundles, or encrypted payloads; a threat only when decoded and run.',
  },
  {
    id: 'js.capability.browser-hook',
    title: 'Hooks browser APIs or the wallet provider',
    identifies: 'capability.browser.hook',
    severity: 'low',
    capabilities: ['browser.fetch-override', 'browser.xhr-hook', 'browser.ethereum'],
    rationale:
      'Polyfills and monitoring SDKs replace fetch or patch XMLHttpRequest; dapps use window.ethereum.',
  },
  {
    id: 'js.capability.wallet-address',
    title: 'Contains crypto-currency wallet addresses or address patterns',
    identifies: 'capability.crypto.wallet',
    severity: 'info',
    capabilities: ['crypto.wallet-address'],
    rationale: 'Wallet libraries validate addresses; clippers carry them to swap a victim’s address.',
  },
  {
    id: 'js.capability.github',
    title: 'Uses the GitHub API or names workflow files',
    identifies: 'capability.network.github',
    severity: 'info',
    capabilities: ['network.github-api', 'filesystem.workflow-path'],
    rationale: 'api.github.com or .github/workflows named in the code.',
  },
  {
    id: 'js.capability.npm-publish',
    title: 'Publishes to a package registry',
    identifies: 'capability.registry.publish',
    severity: 'low',
    capabilities: ['npm.publish'],
    rationale: 'npm/pnpm/yarn publish command lines: release tooling, or a worm spreading itself.',
  },
  {
    id: 'js.capability.date-gate',
    title: 'Branches on a fixed date',
    identifies: 'capability.runtime.date-gate',
    severity: 'info',
    capabilities: ['time.date-gate'],
    rationale: 'Comparisons of the current time with a constant: deprecation notices, or a time bomb.',
  },
];

function capabilityRule(spec: CapabilitySpec): NodeRule {
  const wanted = new Set<JsCapability>(spec.capabilities);
  return {
    id: spec.id,
    version: 1,
    title: spec.title,
    identifies: spec.identifies,
    severity: spec.severity,
    confidence: 'high',
    scope: 'node',
    factKinds: ['js.capability'],
    rationale: `${spec.rationale} A capability, not a verdict: threat rules decide when it is suspicious.`,
    references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
    *evaluate({ node }) {
      const facts = having(capabilityFacts(node), wanted);
      if (facts.length === 0) return;
      yield {
        path: node.path,
        message: `${facts.length} site(s): ${summarise(facts)} (lines ${lineList(facts)})`,
        evidence: evidenceOf(node, facts),
      };
    },
  };
}

/** A bundler's or minifier's output: long lines with ordinary names. Said so that it is not mistaken for obfuscation. */
export const minifiedRule: NodeRule = {
  id: 'js.capability.minified',
  version: 1,
  title: 'Minified or bundled code',
  identifies: 'capability.code.minified',
  severity: 'info',
  confidence: 'medium',
  scope: 'node',
  factKinds: ['js.file'],
  rationale:
    'Bundles and minified builds have very long lines but ordinary identifiers and strings. They are harder to review by eye, ' +
    'which is why obfuscation signatures are judged separately and never from line length alone.',
  references: [],
  *evaluate({ node }) {
    const file = factsOfKind(node.facts, 'js.file')[0];
    if (!file?.minified) return;
    yield {
      path: node.path,
      message: `minified: ${file.lines} line(s), the longest ${file.longestLine} characters; ${file.mangledIdentifiers} obfuscator-style names among ${file.identifiers}`,
      evidence: [{ role: 'primary', node: node.path, line: { start: 1 } }],
    };
  },
};

export const jsCapabilityRules: readonly NodeRule[] = [...SPECS.map(capabilityRule), minifiedRule];
