import type { JsCapability, JsCapabilityFact } from '../../analyzers/js/facts.js';
import type { Identifies } from '../../core/findings.js';
import type { ScanNode } from '../../core/scan-result.js';
import type { Confidence, Severity } from '../../core/severity.js';
import type { NodeRule } from '../evaluate.js';
import { byScope, capabilityFacts, evidenceOf, having, lineList, summarise } from './facts.js';

interface Judgement {
  readonly primary: readonly JsCapabilityFact[];
  readonly supporting?: readonly JsCapabilityFact[];
  readonly message: string;
}

interface ThreatSpec {
  readonly id: string;
  readonly title: string;
  readonly identifies: Identifies;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly rationale: string;
  readonly remediation?: string;
  readonly references: readonly string[];
  judge(facts: readonly JsCapabilityFact[], node: ScanNode): Judgement | undefined;
}

function threatRule(spec: ThreatSpec): NodeRule {
  return {
    id: spec.id,
    version: 1,
    title: spec.title,
    identifies: spec.identifies,
    severity: spec.severity,
    confidence: spec.confidence,
    scope: 'node',
    factKinds: ['js.capability'],
    rationale: spec.rationale,
    ...(spec.remediation === undefined ? {} : { remediation: spec.remediation }),
    references: spec.references,
    *evaluate({ node }) {
      const facts = capabilityFacts(node);
      if (facts.length === 0) return;
      const judgement = spec.judge(facts, node);
      if (!judgement || judgement.primary.length === 0) return;
      yield {
        path: node.path,
        message: judgement.message,
        evidence: [
          ...evidenceOf(node, judgement.primary),
          ...evidenceOf(node, judgement.supporting ?? [], 'supporting'),
        ],
      };
    },
  };
}

const set = (...capabilities: JsCapability[]) => new Set<JsCapability>(capabilities);

const OBFUSCATOR_SIGNATURES = set(
  'obfuscation.mangled-identifier',
  'obfuscation.boolean-trick',
  'obfuscation.string-array',
  'obfuscation.packer',
  'obfuscation.global-lookup',
  'obfuscation.decoder-call',
  'obfuscation.hidden-code',
);
const DANGEROUS = set(
  'process.spawn',
  'network.outbound',
  'code.eval',
  'code.function-constructor',
  'code.vm',
  'code.module-compile',
  'code.decode-then-execute',
  'filesystem.delete',
);
/** What exfiltration sends: the whole environment, host identity, credential files. */
const SENSITIVE_SOURCES = set(
  'environment.bulk-read',
  'environment.serialize',
  'system.info',
  'filesystem.sensitive-path',
);
/** `.npmrc` is read by every registry client: a source only for the publish/token rules. */
const isSensitiveSource = (fact: JsCapabilityFact) =>
  SENSITIVE_SOURCES.has(fact.capability) &&
  !(fact.capability === 'filesystem.sensitive-path' && fact.detail === '.npmrc') &&
  !(fact.capability === 'system.info' && fact.detail === 'os.homedir');

const distinctDetails = (facts: readonly JsCapabilityFact[]) =>
  new Set(facts.map((fact) => fact.capability)).size;

export const decodeThenExecuteRule = threatRule({
  id: 'js.threat.decode-then-execute',
  title: 'Decodes data and runs it as code',
  identifies: 'threat.runtime.obfuscation.base64exec',
  severity: 'high',
  confidence: 'high',
  rationale:
    'Data decoded from base64, hex, char codes, a cipher, a compressed blob or an image and then passed to eval, Function, ' +
    'vm or a shell hides the code that runs from every reviewer and static scanner. Legitimate packages ship their code as code.',
  remediation:
    'Decode the payload offline (never run it) and review what it does before allowing this release.',
  references: [
    'https://github.com/DataDog/guarddog/blob/main/RULES.md',
    'https://www.sonatype.com/blog/cors-parser-npm-package-hides-cross-platform-backdoor-in-png-files',
  ],
  judge(facts) {
    const chains = having(facts, set('code.decode-then-execute'));
    if (chains.length === 0) return undefined;
    const scopes = new Set(chains.map((fact) => fact.scope));
    const decoders = facts.filter((fact) => fact.capability === 'code.decode' && scopes.has(fact.scope));
    return {
      primary: chains,
      supporting: decoders,
      message: `${chains.length} execution site(s) run decoded data (${summarise(chains)}; lines ${lineList(chains)}), decoded by ${summarise(decoders) || 'an inline decoder'}`,
    };
  },
});

export const obfuscatorSignatureRule = threatRule({
  id: 'js.threat.obfuscation',
  title: 'Obfuscator signatures',
  identifies: 'threat.runtime.obfuscation.js.mangling',
  severity: 'medium',
  confidence: 'medium',
  rationale:
    'javascript-obfuscator names (`_0x1a2b`), its self-replacing string-array function, JSFuck coercions (`!![]`, `+[]`), ' +
    "Dean Edwards' packer, globals reached through decoded names and code hidden behind long runs of blanks. Minifiers " +
    'produce none of these; they are there to defeat review.',
  references: [
    'https://github.com/DataDog/guarddog/blob/main/RULES.md',
    'https://github.com/javascript-obfuscator/javascript-obfuscator',
  ],
  judge(facts) {
    const signatures = having(facts, OBFUSCATOR_SIGNATURES);
    if (signatures.length === 0) return undefined;
    return {
      primary: signatures,
      message: `${signatures.length} obfuscator signature(s) of ${distinctDetails(signatures)} kind(s): ${summarise(signatures)} (lines ${lineList(signatures)})`,
    };
  },
});

export const obfuscatedCapabilityRule = threatRule({
  id: 'js.threat.obfuscated-capability',
  title: 'Obfuscated code that can run processes, reach the network or evaluate code',
  identifies: 'threat.runtime.obfuscation',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'Obfuscation alone hides intent; combined in one file with process execution, network access, code evaluation or deletion it is ' +
    'the shape of most npm droppers and browser hooks (chalk/debug, Sept 2025).',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const signatures = having(facts, OBFUSCATOR_SIGNATURES);
    const dangerous = having(facts, DANGEROUS);
    if (signatures.length === 0 || dangerous.length === 0) return undefined;
    return {
      primary: dangerous,
      supporting: signatures,
      message: `${signatures.length} obfuscator signature(s) alongside ${summarise(dangerous)} (lines ${lineList(dangerous)})`,
    };
  },
});

export const apiObfuscationRule = threatRule({
  id: 'js.threat.api-obfuscation',
  title: 'Sensitive module functions reached through computed or reflective names',
  identifies: 'threat.runtime.obfuscation.api',
  severity: 'medium',
  confidence: 'medium',
  rationale:
    "`cp['sp' + 'awn']`, `os[decode(...)]`, `Reflect.get(cp, 'exec')`, `Object.entries(os).find(...)`: calling child_process, os, " +
    'http, fs or vm through a name a scanner cannot read is done to evade scanners. Loops over method names (fs wrappers) are not flagged.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const hits = having(facts, set('obfuscation.api'));
    if (hits.length === 0) return undefined;
    return {
      primary: hits,
      message: `${hits.length} computed or reflective access(es): ${summarise(hits)} (lines ${lineList(hits)})`,
    };
  },
});

export const environmentSerializationRule = threatRule({
  id: 'js.threat.environment-serialization',
  title: 'Serialises the whole environment',
  identifies: 'threat.runtime.environment.read',
  severity: 'medium',
  confidence: 'medium',
  rationale:
    '`JSON.stringify(process.env)` turns every secret in the environment (CI tokens, cloud keys) into one string: the first step of ' +
    'most npm credential stealers. Build tools that inline the environment do it too, hence medium.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const hits = having(facts, set('environment.serialize'));
    if (hits.length === 0) return undefined;
    return { primary: hits, message: `process.env serialised at line(s) ${lineList(hits)}` };
  },
});

export const exfiltrationRule = threatRule({
  id: 'js.threat.exfiltration',
  title: 'Sends environment, host identity or credential files over the network',
  identifies: 'threat.network.outbound',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'One function that both gathers the environment, the host and user name or a credential file (.ssh, .aws, /etc/passwd, wallets, ' +
    'browser profiles) and makes a network request is how install-time stealers report home.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const primary: JsCapabilityFact[] = [];
    const supporting: JsCapabilityFact[] = [];
    for (const scoped of byScope(facts).values()) {
      const sources = scoped.filter(isSensitiveSource);
      const sinks = scoped.filter((fact) => fact.capability === 'network.outbound');
      if (sources.length === 0 || sinks.length === 0) continue;
      primary.push(...sinks);
      supporting.push(...sources);
    }
    if (primary.length === 0) return undefined;
    return {
      primary,
      supporting,
      message: `${primary.length} network call(s) (${summarise(primary)}) in the same function as ${summarise(supporting)} (lines ${lineList([...primary, ...supporting])})`,
    };
  },
});

export const sensitiveFileRule = threatRule({
  id: 'js.threat.sensitive-file-access',
  title: 'Names credential files, wallets or browser profiles',
  identifies: 'threat.filesystem.read',
  severity: 'medium',
  confidence: 'low',
  rationale:
    'SSH keys, cloud credentials, the GitHub CLI token, crypto wallets and browser login databases are what stealers look for; ' +
    'few libraries have a reason to name them.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const hits = facts.filter(
      (fact) => fact.capability === 'filesystem.sensitive-path' && fact.detail !== '.npmrc',
    );
    if (hits.length === 0) return undefined;
    return {
      primary: hits,
      message: `${hits.length} sensitive location(s): ${summarise(hits)} (lines ${lineList(hits)})`,
    };
  },
});

export const silentProcessRule = threatRule({
  id: 'js.threat.silent-process',
  title: 'Starts a detached process with all output discarded',
  identifies: 'threat.process.spawn.silent',
  severity: 'low',
  confidence: 'medium',
  rationale:
    'A detached child with stdio ignored (usually followed by `unref()`) outlives the install and leaves no trace in its logs; ' +
    'update notifiers do it too, hence low on its own.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const hits = having(facts, set('process.silent'));
    if (hits.length === 0) return undefined;
    return {
      primary: hits,
      message: `${hits.length} silent detached process(es) at line(s) ${lineList(hits)}`,
    };
  },
});

export const dllHijackingRule = threatRule({
  id: 'js.threat.dll-hijacking',
  title: 'Loads a library into another program',
  identifies: 'threat.process.injection.dll',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'Starting a trusted executable with a library argument, LD_PRELOAD/DYLD_INSERT_LIBRARIES, rundll32/regsvr32-style proxies, ' +
    'injection APIs, or planting a .dll/.so next to a program that is then started, run attacker code under a trusted name.',
  references: ['https://attack.mitre.org/techniques/T1574/', 'https://attack.mitre.org/techniques/T1218/'],
  judge(facts) {
    const spawns = facts.some((fact) => fact.capability === 'process.spawn');
    // Writing a library is only a plant when the file also starts a program.
    const hits = facts.filter(
      (fact) =>
        fact.capability === 'process.dll-load' && (spawns || !fact.detail?.startsWith('writes library')),
    );
    if (hits.length === 0) return undefined;
    return {
      primary: hits,
      message: `${hits.length} library-loading site(s): ${summarise(hits)} (lines ${lineList(hits)})`,
    };
  },
});

export const shellDownloadRule = threatRule({
  id: 'js.threat.shell-download-exec',
  title: 'Carries a shell command that downloads and runs code',
  identifies: 'threat.process.spawn',
  severity: 'high',
  confidence: 'medium',
  rationale:
    '`curl … | sh`, `wget … && chmod +x`, PowerShell `-enc` and download cradles, certutil/bitsadmin downloads, reverse shells: ' +
    'a second stage fetched at run time, invisible in the package. Only in files that also start processes: help text ' +
    'that prints install instructions is not a payload.',
  references: [
    'https://github.com/DataDog/guarddog/blob/main/RULES.md',
    'https://attack.mitre.org/techniques/T1105/',
  ],
  judge(facts) {
    const hits = having(facts, set('process.shell-command'));
    // Install instructions in a CLI's help text are not a payload: the file must also run processes.
    const runners = having(facts, set('process.spawn'));
    if (hits.length === 0 || runners.length === 0) return undefined;
    return {
      primary: hits,
      supporting: runners,
      message: `${hits.length} download/exec command line(s): ${summarise(hits)} (lines ${lineList(hits)})`,
    };
  },
});

export const browserWalletHookRule = threatRule({
  id: 'js.threat.browser-wallet-hook',
  title: 'Hooks browser requests in code that targets crypto wallets',
  identifies: 'threat.runtime.browser-hook',
  severity: 'high',
  confidence: 'high',
  rationale:
    'Replacing fetch or patching XMLHttpRequest in a file that also carries wallet addresses or touches window.ethereum is the ' +
    'clipper of the chalk/debug takeover (Sept 2025): it rewrites transaction recipients in the victim’s browser.',
  references: ['https://www.aikido.dev/blog/npm-debug-and-chalk-packages-compromised'],
  judge(facts) {
    const hooks = having(facts, set('browser.fetch-override', 'browser.xhr-hook'));
    const targets = having(facts, set('crypto.wallet-address', 'browser.ethereum'));
    if (hooks.length === 0 || targets.length === 0) return undefined;
    return {
      primary: hooks,
      supporting: targets,
      message: `${summarise(hooks)} with ${summarise(targets)} (lines ${lineList([...hooks, ...targets])})`,
    };
  },
});

export const workflowInjectionRule = threatRule({
  id: 'js.threat.workflow-injection',
  title: 'Writes GitHub Actions workflows',
  identifies: 'threat.runtime.self-propagation',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'Package code that writes under .github/workflows, or pushes workflows through the GitHub API, plants CI jobs that run with ' +
    'repository secrets (Shai-Hulud, Sept 2025).',
  references: ['https://www.stepsecurity.io/blog/ctrl-tinycolor-and-40-npm-packages-compromised'],
  judge(facts) {
    const paths = having(facts, set('filesystem.workflow-path'));
    const writers = having(facts, set('filesystem.write', 'network.github-api'));
    if (paths.length === 0 || writers.length === 0) return undefined;
    return {
      primary: paths,
      supporting: writers,
      message: `.github/workflows named at line(s) ${lineList(paths)} with ${summarise(writers)}`,
    };
  },
});

export const persistenceRule = threatRule({
  id: 'js.threat.persistence',
  title: 'Writes where code runs again at login, at boot or on a schedule',
  identifies: 'threat.runtime.persistence',
  severity: 'medium',
  confidence: 'medium',
  rationale:
    'Code that writes files or runs programs and names a shell startup file, a cron table, a systemd unit, a LaunchAgent or a ' +
    'Windows autostart location can make itself (or a command) run at every login or boot: s1ngularity (Aug 2025) appended ' +
    '`sudo shutdown -h 0` to ~/.bashrc and ~/.zshrc. Shell-completion installers do it openly, hence medium.',
  references: [
    'https://attack.mitre.org/techniques/T1546/004/',
    'https://attack.mitre.org/techniques/T1053/',
  ],
  judge(facts) {
    const places = having(facts, set('filesystem.persistence-path'));
    const writers = having(facts, set('filesystem.write', 'process.spawn'));
    if (places.length === 0 || writers.length === 0) return undefined;
    return {
      primary: places,
      supporting: writers,
      message: `${summarise(places)} named at line(s) ${lineList(places)} with ${summarise(writers)}`,
    };
  },
});

export const selfPublishRule = threatRule({
  id: 'js.threat.self-publish',
  title: 'Publishes packages with a registry token',
  identifies: 'threat.runtime.self-propagation',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'Code that reads a registry token and runs `npm publish` (or rewrites files before publishing) can republish every package the ' +
    'token reaches: a worm. Release tools do this from a developer’s machine, not from a dependency.',
  references: ['https://github.com/DataDog/guarddog/blob/main/RULES.md'],
  judge(facts) {
    const publishes = having(facts, set('npm.publish'));
    const tokens = facts.filter(
      (fact) =>
        fact.capability === 'environment.token' ||
        (fact.capability === 'filesystem.sensitive-path' && fact.detail === '.npmrc'),
    );
    if (publishes.length === 0 || tokens.length === 0) return undefined;
    return {
      primary: publishes,
      supporting: tokens,
      message: `npm publish at line(s) ${lineList(publishes)} with ${summarise(tokens)}`,
    };
  },
});

export const aiCliBypassRule = threatRule({
  id: 'js.threat.ai-cli-bypass',
  title: 'Runs a local AI agent with its safety checks off',
  identifies: 'threat.process.ai-agent',
  severity: 'high',
  confidence: 'high',
  rationale:
    'Invoking claude, gemini or q with `--dangerously-skip-permissions`, `--yolo` or `--trust-all-tools` lets the agent read and send ' +
    'anything on the machine without asking: the nx "s1ngularity" stealer (Aug 2025) used it to hunt for secrets.',
  references: ['https://github.com/nrwl/nx/security/advisories/GHSA-cxm3-wv7p-598c'],
  judge(facts) {
    const hits = having(facts, set('process.ai-cli-bypass'));
    if (hits.length === 0) return undefined;
    return {
      primary: hits,
      message: `${hits.length} AI CLI permission bypass flag(s) at line(s) ${lineList(hits)}`,
    };
  },
});

export const timeBombRule = threatRule({
  id: 'js.threat.time-bomb',
  title: 'Dangerous code gated on a fixed date',
  identifies: 'threat.runtime.time-bomb',
  severity: 'high',
  confidence: 'medium',
  rationale:
    'A branch taken only after (or before) a fixed date that runs processes, deletes files, evaluates code or reaches the network ' +
    'hides its payload from any test run before the date.',
  references: ['https://attack.mitre.org/techniques/T1480/'],
  judge(facts) {
    const primary: JsCapabilityFact[] = [];
    const supporting: JsCapabilityFact[] = [];
    for (const gate of having(facts, set('time.date-gate'))) {
      const end = gate.offset + gate.length;
      const inside = facts.filter(
        (fact) => DANGEROUS.has(fact.capability) && fact.offset > gate.offset && fact.offset < end,
      );
      if (inside.length === 0) continue;
      primary.push(gate);
      supporting.push(...inside);
    }
    if (primary.length === 0) return undefined;
    return {
      primary,
      supporting,
      message: `${primary.length} date gate(s) (lines ${lineList(primary)}) guarding ${summarise(supporting)}`,
    };
  },
});

export const geolocationRule = threatRule({
  id: 'js.threat.geolocation',
  title: 'Looks up the machine’s location',
  identifies: 'threat.runtime.geofence',
  severity: 'medium',
  confidence: 'medium',
  rationale:
    'IP geolocation services let code act only in chosen countries: node-ipc (2022) wiped files on machines located in Russia and ' +
    'Belarus. Libraries rarely need to know where they run.',
  references: ['https://snyk.io/blog/peacenotwar-malicious-npm-node-ipc-package-vulnerability/'],
  judge(facts) {
    const hits = having(facts, set('network.geolocation'));
    if (hits.length === 0) return undefined;
    return { primary: hits, message: `${summarise(hits)} at line(s) ${lineList(hits)}` };
  },
});

export const geotargetedDestructionRule = threatRule({
  id: 'js.threat.geotargeted-destruction',
  title: 'Location lookup in code that deletes or overwrites files',
  identifies: 'threat.filesystem.destruction',
  severity: 'critical',
  confidence: 'medium',
  rationale:
    'A geolocation lookup next to deletion or file writes is the protestware shape of node-ipc 10.1.1 (CVE-2022-23812).',
  references: ['https://nvd.nist.gov/vuln/detail/CVE-2022-23812'],
  judge(facts) {
    const lookups = having(facts, set('network.geolocation'));
    const destructive = having(facts, set('filesystem.delete', 'filesystem.write'));
    if (lookups.length === 0 || destructive.length === 0) return undefined;
    return {
      primary: destructive,
      supporting: lookups,
      message: `${summarise(destructive)} in a file that geolocates itself (lines ${lineList([...lookups, ...destructive])})`,
    };
  },
});

export const jsThreatRules: readonly NodeRule[] = [
  decodeThenExecuteRule,
  obfuscatorSignatureRule,
  obfuscatedCapabilityRule,
  apiObfuscationRule,
  environmentSerializationRule,
  exfiltrationRule,
  sensitiveFileRule,
  silentProcessRule,
  dllHijackingRule,
  shellDownloadRule,
  browserWalletHookRule,
  workflowInjectionRule,
  persistenceRule,
  selfPublishRule,
  aiCliBypassRule,
  timeBombRule,
  geolocationRule,
  geotargetedDestructionRule,
];
