import type { JsCapability } from './facts.js';

/** One thing a string can reveal: a sensitive path, a shell command line, a service, a flag. */
export interface StringSignal {
  readonly capability: JsCapability;
  readonly detail: string;
  readonly pattern: RegExp;
}

/**
 * Signals read from string and template literals (and regex sources for wallet patterns). A cheap
 * prefilter runs first: only strings containing one of its keywords go through the table.
 */
export const STRING_SIGNALS: readonly StringSignal[] = [
  // sensitive paths
  { capability: 'filesystem.sensitive-path', detail: '.npmrc', pattern: /\.npmrc\b/ },
  {
    capability: 'filesystem.sensitive-path',
    detail: '.ssh',
    pattern: /(^|[\\/~])\.ssh([\\/]|$)|\bid_(rsa|ed25519|ecdsa|dsa)\b/,
  },
  { capability: 'filesystem.sensitive-path', detail: '.aws', pattern: /(^|[\\/~])\.aws([\\/]|$)/ },
  { capability: 'filesystem.sensitive-path', detail: '.config/gh', pattern: /\.config[\\/]gh([\\/]|$)/ },
  {
    capability: 'filesystem.sensitive-path',
    detail: 'docker/kube config',
    pattern: /\.docker[\\/]config\.json|\.kube[\\/]config\b/,
  },
  { capability: 'filesystem.sensitive-path', detail: '/etc/passwd', pattern: /\/etc\/(passwd|shadow)\b/ },
  {
    capability: 'filesystem.sensitive-path',
    detail: 'wallet',
    pattern:
      /\b(Exodus|Electrum|atomic|Ethereum|Bitcoin|Armory|Coinomi|Guarda|Jaxx|Zcash|Litecoin|Dogecoin|Monero)[\\/](wallets?|keystore|Local Storage|exodus\.wallet)|\bwallet\.dat\b|exodus\.wallet|solana[\\/]id\.json|\b(nkbihfbeogaeaoehlefnkodbefgpgknn|bfnaelmomeimhlpmgjnjophhpkkoljpa|hnfanknocfeofbddgcijnmhnfnkdnaad|ibnejdfjmmkpcnlpebklmnkoeoihofec|fhbohimaelbohpjbbldcngcnapndodjp|aholpfdialjgjfhomihkjbmgjidlcdno)\b/i,
  },
  {
    capability: 'filesystem.sensitive-path',
    detail: 'browser profile',
    pattern:
      /(Google[\\/]Chrome|BraveSoftware[\\/]Brave-Browser|Microsoft[\\/]Edge|Opera Software[\\/]Opera Stable|Chromium|Yandex[\\/]YandexBrowser)[\\/]User Data|\.mozilla[\\/]firefox|Application Support[\\/](Google[\\/]Chrome|BraveSoftware|Firefox)|\.config[\\/](google-chrome|chromium|BraveSoftware)|\bLogin Data\b|\bcookies\.sqlite\b|\blogins\.json\b|\bkey4\.db\b/,
  },
  // persistence: what runs again at login, at boot or on a schedule (s1ngularity, Aug 2025, put
  // `sudo shutdown -h 0` in ~/.bashrc and ~/.zshrc)
  {
    capability: 'filesystem.persistence-path',
    detail: 'shell startup file',
    // the file's own name, not a longer one (`.profile-done`, `.bashrc.example`)
    pattern:
      /(^|[\\/~])\.(bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin|profile)(?![\w.-])|\bfish[\\/]config\.fish\b/,
  },
  {
    capability: 'filesystem.persistence-path',
    detail: 'cron',
    pattern:
      /\/etc\/cron(tab\b|\.(d|hourly|daily|weekly|monthly)\b)|\/var\/spool\/cron\b|\|\s*crontab\s+-(\s|$)/,
  },
  {
    capability: 'filesystem.persistence-path',
    detail: 'systemd unit',
    pattern: /\/etc\/systemd\/system\b|\.config[\\/]systemd[\\/]user\b|\bsystemctl\s+(--user\s+)?enable\b/,
  },
  {
    capability: 'filesystem.persistence-path',
    detail: 'launch agent',
    pattern: /\bLibrary[\\/]Launch(Agents|Daemons)\b/,
  },
  {
    capability: 'filesystem.persistence-path',
    detail: 'Windows autostart',
    pattern:
      /Start Menu[\\/]Programs[\\/]Startup\b|\bCurrentVersion[\\/]Run(Once)?\b|\bschtasks(\.exe)?\s+\/create\b/i,
  },
  // self-propagation
  {
    capability: 'filesystem.workflow-path',
    detail: '.github/workflows',
    pattern: /\.github[\\/]workflows\b/,
  },
  { capability: 'network.github-api', detail: 'api.github.com', pattern: /\bapi\.github\.com\b/ },
  {
    capability: 'npm.publish',
    detail: 'npm publish',
    pattern: /\b(npm|pnpm)\s+(publish|adduser|token\s+create)\b|\byarn\s+(npm\s+)?publish\b/,
  },
  {
    capability: 'environment.token',
    detail: 'registry token',
    pattern: /\b(_authToken|NPM_TOKEN|NODE_AUTH_TOKEN|NPM_CONFIG__AUTH)\b/,
  },
  {
    capability: 'environment.token',
    detail: 'CI token',
    pattern: /^(GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN)$/,
  },
  // geolocation services
  {
    capability: 'network.geolocation',
    detail: 'IP geolocation service',
    pattern:
      /\b(ip-api\.(com|io)|ipinfo\.io|ipapi\.(co|com)|ipwho\.is|ipwhois\.app|ipgeolocation\.io|freegeoip\.(app|net|io)|geolocation-db\.com|extreme-ip-lookup\.com|get\.geojs\.io|api\.country\.is|ipstack\.com|api\.db-ip\.com|ip2location\.io|iplocation\.net)\b/i,
  },
  // shells started from strings
  {
    capability: 'process.shell-command',
    detail: 'download piped to a shell',
    pattern: /\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/,
  },
  {
    capability: 'process.shell-command',
    detail: 'download then chmod +x',
    pattern: /\b(curl|wget)\b[^\n]*(&&|;)\s*chmod\s+(\+x|[0-7]*7[0-7]*)\b/,
  },
  {
    capability: 'process.shell-command',
    detail: 'PowerShell encoded command',
    pattern: /\bpowershell(\.exe)?\b[^\n]*\s-(e|en|enc|encodedcommand|ec)\s+[A-Za-z0-9+/=]{8,}/i,
  },
  {
    capability: 'process.shell-command',
    detail: 'PowerShell download cradle',
    pattern:
      /\b(iex|Invoke-Expression)\b[^\n]*(DownloadString|Invoke-WebRequest|\biwr\b|Net\.WebClient)|(DownloadString|DownloadFile)\(\s*['"]?https?:/i,
  },
  {
    capability: 'process.shell-command',
    detail: 'certutil/bitsadmin download',
    pattern: /\bcertutil(\.exe)?\s[^\n]*-urlcache|\bbitsadmin(\.exe)?\s[^\n]*\/transfer/i,
  },
  {
    capability: 'process.shell-command',
    detail: 'reverse shell',
    pattern: /\/dev\/tcp\/|\bnc(at)?\s+(-e|-c)\s|\bbash\s+-i\b|\bsh\s+-i\s*[<>]/,
  },
  {
    capability: 'process.shell-command',
    detail: 'mshta URL',
    pattern: /\bmshta(\.exe)?\s+(https?|vbscript|javascript):/i,
  },
  // DLL and library loading through trusted binaries (MITRE T1218, T1574)
  {
    capability: 'process.dll-load',
    detail: 'executable with a library argument',
    pattern: /\.exe\s+[^\n]*?\.dll\b|\/bin\/\S+\s+[^\n]*?\.so\b/i,
  },
  {
    capability: 'process.dll-load',
    detail: 'library preload',
    pattern: /\b(LD_PRELOAD|DYLD_INSERT_LIBRARIES)\b/,
  },
  {
    capability: 'process.dll-load',
    detail: 'system binary proxy',
    pattern:
      // `rundll32 url.dll,FileProtocolHandler` (or shell32's) is how URL openers start a browser.
      /\brundll32(\.exe)?\s+(?!(url|shell32|ieframe)\.dll,)\S+|\b(regsvr32|regsvcs|regasm|InstallUtil|cmstp|odbcconf|mavinject|verclsid)(\.exe)?\s+\S+|\bcontrol(\.exe)?\s+\S+\.cpl\b/i,
  },
  // local AI CLIs with their safety switched off
  {
    capability: 'process.ai-cli-bypass',
    detail: 'AI CLI permission bypass',
    pattern:
      /--dangerously-skip-permissions\b|--trust-all-tools\b|--dangerously-bypass-approvals-and-sandbox\b|--approval-mode[= ]yolo\b|^--yolo$|\bgemini\b[^\n]*--yolo\b/,
  },
  // wallet addresses as literals
  { capability: 'crypto.wallet-address', detail: 'ETH address', pattern: /^0x[a-fA-F0-9]{40}$/ },
  {
    capability: 'crypto.wallet-address',
    detail: 'BTC address',
    pattern: /^(bc1[a-z0-9]{39,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})$/,
  },
];

/** Keywords that any of the signals above needs; strings without one skip the table. */
export const SIGNAL_PREFILTER =
  /npmrc|\.ssh|id_(rsa|ed|ec|dsa)|\.aws|\.config[\\/]|\.docker|\.kube|\/etc\/|wallet|exodus|electrum|keystore|solana|nkbihf|bfnael|hnfank|ibnejd|fhbohi|aholpf|user data|mozilla|application support|login data|cookies\.sqlite|logins\.json|key4\.db|\.github|(npm|yarn)\s|bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin|\.profile|config\.fish|cron|systemd|systemctl|launchagents|launchdaemons|start menu|currentversion|schtasks|_authtoken|npm_token|node_auth_token|npm_config__auth|github_token|gh_token|actions_|ip-?api|ipinfo|ipwho|ipgeo|ipstack|ip2loc|iploc|freegeo|geolocation-db|geojs|extreme-ip|country\.is|db-ip|curl|wget|powershell|iex|invoke-|download|certutil|bitsadmin|dev\/tcp|nc(at)? -|bash -i|sh -i|mshta|\.exe|\/bin\/|_preload|insert_lib|rundll|regsv|regasm|installutil|cmstp|odbcconf|mavinject|verclsid|control(\.exe)?\s|--(dangerously|trust-all|approval|yolo)|gemini|^0x|^bc1|^[13]/i;

/** Wallet-address regexes inside regex sources or strings (the chalk/debug 2025 payload carried these). */
export const WALLET_REGEX_SOURCE =
  /0x\[(a-fA-F0-9|0-9a-fA-F|a-f0-9|0-9a-f|A-Fa-f0-9|0-9A-Fa-f)\]\{40\}|\[13\]\[a-km-zA-HJ-NP-Z1-9\]|bc1\[|\[1-9A-HJ-NP-Za-km-z\]\{3[0-9],4[0-9]\}/;

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const NO_SIGNALS: readonly StringSignal[] = [];

/**
 * The signals a text carries: what the strings family emits for a string in code, and what an
 * install script's command line names.
 */
export function signalsOf(text: string): readonly StringSignal[] {
  return SIGNAL_PREFILTER.test(text)
    ? STRING_SIGNALS.filter((signal) => signal.pattern.test(text))
    : NO_SIGNALS;
}
