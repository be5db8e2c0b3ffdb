import type { PeFile } from '../formats/pe/pe.js';
import type { PeIndicator } from '../formats/pe/strings.js';

/**
 * Capabilities of a PE file, read from its imports and strings. These are facts with the evidence
 * that produced them, never verdicts: nearly every Windows binary loads libraries, and the mingw
 * runtime itself imports VirtualProtect. What matters is what a release gained over the one
 * before it (3CX's ffmpeg.dll gained "read a file next to itself" and "run decrypted bytes"), and
 * judging that belongs to rules.
 */
export const PE_CAPABILITIES = [
  'network',
  'memory-execution',
  'process-creation',
  'dynamic-loading',
  'crypto',
  'registry-persistence',
  'anti-debugging',
  'reads-sibling-file',
] as const;

export type PeCapabilityName = (typeof PE_CAPABILITIES)[number];

export interface PeCapabilityEvidence {
  /** `import` / `delay-import`: the import table; `string`: bytes of the file (API name or indicator). */
  readonly source: 'import' | 'delay-import' | 'string';
  readonly dll?: string;
  readonly function?: string;
  readonly value?: string;
  /** File range of a string, so a reader can check the bytes. */
  readonly range?: { readonly offset: number; readonly length: number };
}

export interface PeCapabilityFact {
  readonly capability: PeCapabilityName;
  /** GuardDog-style taxonomy name. */
  readonly identifies: `capability.${string}`;
  /**
   * `strong`: the combination that implements the capability is present (allocate/protect + start a
   * thread; a write API + a persistence key; locate self + open + a sibling file name).
   * `weak`: one part only. A description of the evidence, not a severity.
   */
  readonly strength: 'strong' | 'weak';
  readonly evidence: readonly PeCapabilityEvidence[];
}

const MAX_EVIDENCE = 24;

/** API families; names match exactly, or with an `A`/`W` suffix. */
const API = {
  networkCall: [
    'socket',
    'connect',
    'WSAStartup',
    'WSASocket',
    'WSAConnect',
    'send',
    'recv',
    'getaddrinfo',
    'GetAddrInfo',
    'gethostbyname',
    'InternetOpen',
    'InternetOpenUrl',
    'InternetConnect',
    'InternetReadFile',
    'HttpOpenRequest',
    'HttpSendRequest',
    'URLDownloadToFile',
    'URLDownloadToCacheFile',
    'URLOpenBlockingStream',
    'WinHttpOpen',
    'WinHttpConnect',
    'WinHttpOpenRequest',
    'WinHttpSendRequest',
    'WinHttpReceiveResponse',
    'WinHttpReadData',
    'DnsQuery_',
    'DnsQueryEx',
  ],
  allocateOrProtect: [
    'VirtualAlloc',
    'VirtualAllocEx',
    'VirtualAlloc2',
    'VirtualProtect',
    'VirtualProtectEx',
    'NtAllocateVirtualMemory',
    'ZwAllocateVirtualMemory',
    'NtProtectVirtualMemory',
    'ZwProtectVirtualMemory',
    'HeapCreate',
  ],
  startCode: [
    'CreateThread',
    'CreateRemoteThread',
    'CreateRemoteThreadEx',
    'NtCreateThreadEx',
    'ZwCreateThreadEx',
    'RtlCreateUserThread',
    'QueueUserAPC',
    'NtQueueApcThread',
    'SetThreadContext',
    'CreateFiber',
    'SwitchToFiber',
    'EnumSystemLocales',
    'CreateTimerQueueTimer',
  ],
  injection: [
    'WriteProcessMemory',
    'NtWriteVirtualMemory',
    'ZwWriteVirtualMemory',
    'NtMapViewOfSection',
    'ZwMapViewOfSection',
    'NtUnmapViewOfSection',
    'CreateRemoteThread',
    'CreateRemoteThreadEx',
    'NtCreateThreadEx',
    'QueueUserAPC',
    'NtQueueApcThread',
    'SetThreadContext',
  ],
  process: [
    'CreateProcess',
    'CreateProcessAsUser',
    'CreateProcessWithLogonW',
    'CreateProcessWithTokenW',
    'WinExec',
    'ShellExecute',
    'ShellExecuteEx',
    'NtCreateUserProcess',
    'system',
    '_wsystem',
    '_popen',
    '_wpopen',
    '_execv',
    '_spawnv',
    '_spawnl',
  ],
  loadLibrary: ['LoadLibrary', 'LoadLibraryEx', 'LdrLoadDll', 'LoadPackagedLibrary'],
  resolveProc: ['GetProcAddress', 'LdrGetProcedureAddress'],
  crypto: [
    'CryptAcquireContext',
    'CryptDecrypt',
    'CryptEncrypt',
    'CryptImportKey',
    'CryptGenKey',
    'CryptDeriveKey',
    'CryptCreateHash',
    'CryptHashData',
    'CryptUnprotectData',
    'CryptProtectData',
    'CryptStringToBinary',
    'SystemFunction032',
    'SystemFunction033',
    'BCryptDecrypt',
    'BCryptEncrypt',
    'BCryptOpenAlgorithmProvider',
  ],
  registryWrite: [
    'RegSetValue',
    'RegSetValueEx',
    'RegCreateKey',
    'RegCreateKeyEx',
    'RegSetKeyValue',
    'NtSetValueKey',
    'ZwSetValueKey',
    'SHSetValue',
    'SHRegSetUSValue',
  ],
  /** The MSVC and mingw runtimes import these two themselves (failure reporting): weak alone. */
  antiDebugCommon: ['IsDebuggerPresent', 'OutputDebugString'],
  antiDebug: [
    'CheckRemoteDebuggerPresent',
    'NtQueryInformationProcess',
    'ZwQueryInformationProcess',
    'NtSetInformationThread',
    'ZwSetInformationThread',
    'DebugActiveProcess',
    'NtQuerySystemInformation',
    'BlockInput',
  ],
  locateSelf: [
    'GetModuleFileName',
    'GetModuleFileNameEx',
    'GetModuleHandleEx',
    'K32GetModuleFileNameEx',
    'GetModuleFileNameA',
  ],
  openFile: [
    'CreateFile',
    'CreateFile2',
    'ReadFile',
    'fopen',
    '_wfopen',
    '_open',
    '_wopen',
    'NtCreateFile',
    'NtReadFile',
    'CreateFileMapping',
    'MapViewOfFile',
  ],
} as const satisfies Record<string, readonly string[]>;

const DLLS = {
  network: [
    'ws2_32.dll',
    'wsock32.dll',
    'wininet.dll',
    'winhttp.dll',
    'urlmon.dll',
    'dnsapi.dll',
    'mswsock.dll',
    'websocket.dll',
    'httpapi.dll',
  ],
  crypto: ['bcrypt.dll', 'ncrypt.dll', 'crypt32.dll', 'cryptsp.dll'],
} as const;

/** Registry keys that make Windows run something at start-up or on an event. */
const PERSISTENCE_KEY =
  /\\(?:Run|RunOnce|RunServices|RunOnceEx|Winlogon|Image File Execution Options|AppInit_DLLs|Services|Explorer\\Shell Folders|Explorer\\User Shell Folders|Active Setup\\Installed Components|Policies\\Explorer\\Run)(?:\\|$)/i;

/** A bare file name that a module could open from its own folder. */
const SIBLING_NAME = /^[\w.-]{1,64}\.(?:dll|exe|dat|bin|ico|tmp|db|cfg)$/i;

/** Runtime and System32 DLL names that appear as strings in ordinary binaries (loaded from System32, not from beside the file). */
const ORDINARY_NAMES = new Set([
  'kernel32.dll',
  'ntdll.dll',
  'advapi32.dll',
  'shell32.dll',
  'ole32.dll',
  'oleaut32.dll',
  'gdi32.dll',
  'comctl32.dll',
  'ws2_32.dll',
  'version.dll',
  'dbghelp.dll',
  'user32.dll',
  'msvcrt.dll',
  'mscoree.dll',
  'libgcc_s_dw2-1.dll',
  'libgcc_s_seh-1.dll',
  'libwinpthread-1.dll',
  'ucrtbase.dll',
  'vcruntime140.dll',
]);

function matchesApi(name: string, family: readonly string[]): boolean {
  for (const base of family) {
    if (name === base || name === `${base}A` || name === `${base}W`) return true;
    if (base.endsWith('_') && name.startsWith(base)) return true;
  }
  return false;
}

interface Imported {
  readonly dll: string;
  readonly name: string;
  readonly delayLoad: boolean;
}

export function detectCapabilities(pe: PeFile): PeCapabilityFact[] {
  const imported: Imported[] = [];
  const importedDlls = new Map<string, boolean>();
  for (const module of [...pe.imports, ...pe.delayImports]) {
    const dll = module.dll.toLowerCase();
    if (!importedDlls.has(dll)) importedDlls.set(dll, module.delayLoad);
    for (const fn of module.functions)
      if (fn.name) imported.push({ dll, name: fn.name, delayLoad: module.delayLoad });
  }
  const importedNames = new Set(imported.map((i) => i.name));
  // API names present as strings but not imported: resolved at run time (GetProcAddress).
  const apiStrings = pe.strings.items.filter(
    (s) => /^[A-Za-z_][\w]{3,48}$/.test(s.value) && !importedNames.has(s.value),
  );

  const fromImports = (family: readonly string[]): PeCapabilityEvidence[] =>
    imported
      .filter((i) => matchesApi(i.name, family))
      .map((i) => ({ source: i.delayLoad ? 'delay-import' : 'import', dll: i.dll, function: i.name }));
  const fromStrings = (family: readonly string[]): PeCapabilityEvidence[] =>
    apiStrings
      .filter((s) => matchesApi(s.value, family))
      .map((s) => ({ source: 'string', value: s.value, range: stringRange(s.offset, s.value, s.encoding) }));
  const api = (family: readonly string[]) => [...fromImports(family), ...fromStrings(family)];
  const dllEvidence = (names: readonly string[]): PeCapabilityEvidence[] =>
    [...importedDlls]
      .filter(([dll]) => names.includes(dll))
      .map(([dll, delay]) => ({ source: delay ? 'delay-import' : 'import', dll }));
  const indicatorEvidence = (indicators: readonly PeIndicator[]): PeCapabilityEvidence[] =>
    indicators.map((i) => ({
      source: 'string',
      value: i.value,
      range: stringRange(i.offset, i.value, i.encoding),
    }));

  const facts: PeCapabilityFact[] = [];
  const add = (
    capability: PeCapabilityName,
    identifies: `capability.${string}`,
    strength: 'strong' | 'weak',
    evidence: PeCapabilityEvidence[],
  ) => {
    if (evidence.length === 0) return;
    facts.push({ capability, identifies, strength, evidence: dedupe(evidence).slice(0, MAX_EVIDENCE) });
  };

  // Network: a networking DLL or call; URLs and hosts in the strings support it.
  const networkCore = [...dllEvidence(DLLS.network), ...api(API.networkCall)];
  const endpoints = indicatorEvidence(
    pe.strings.indicators.filter((i) => i.kind === 'url' || i.kind === 'format-url' || i.kind === 'ipv4'),
  );
  if (networkCore.length > 0)
    add('network', 'capability.network.outbound', 'strong', [...networkCore, ...endpoints]);
  else add('network', 'capability.network.outbound', 'weak', endpoints);

  // Memory execution: make memory executable and start code in it, or write into another process.
  const allocate = api(API.allocateOrProtect);
  const start = api(API.startCode);
  const inject = api(API.injection);
  const isMemoryStrong = inject.length > 0 || (allocate.length > 0 && start.length > 0);
  add('memory-execution', 'capability.memory.execute', isMemoryStrong ? 'strong' : 'weak', [
    ...allocate,
    ...start,
    ...inject,
  ]);

  add('process-creation', 'capability.process.spawn', 'strong', api(API.process));

  const load = api(API.loadLibrary);
  const resolve = api(API.resolveProc);
  add(
    'dynamic-loading',
    'capability.code.dynamic-load',
    load.length > 0 && resolve.length > 0 ? 'strong' : 'weak',
    [...load, ...resolve],
  );

  const cryptoApis = api(API.crypto);
  add('crypto', 'capability.crypto', cryptoApis.length > 0 ? 'strong' : 'weak', [
    ...cryptoApis,
    ...dllEvidence(DLLS.crypto),
  ]);

  const registryWrites = api(API.registryWrite);
  const persistenceKeys = indicatorEvidence(
    pe.strings.indicators.filter((i) => i.kind === 'registry-key' && PERSISTENCE_KEY.test(i.value)),
  );
  add(
    'registry-persistence',
    'capability.persistence.registry',
    registryWrites.length > 0 && persistenceKeys.length > 0 ? 'strong' : 'weak',
    [...registryWrites, ...persistenceKeys],
  );

  const deliberateAntiDebug = api(API.antiDebug);
  add('anti-debugging', 'capability.evasion.anti-debug', deliberateAntiDebug.length > 0 ? 'strong' : 'weak', [
    ...deliberateAntiDebug,
    ...api(API.antiDebugCommon),
  ]);

  // Reading a file next to itself (3CX's ffmpeg.dll read d3dcompiler_47.dll from its own folder).
  const locate = api(API.locateSelf);
  const open = api(API.openFile);
  // Names the file gives itself (export name, version resource) and the DLLs it imports are not siblings.
  const known = new Set([...importedDlls.keys(), ...ORDINARY_NAMES]);
  for (const own of [
    pe.exports?.dllName,
    pe.versionInfo?.strings.OriginalFilename,
    pe.versionInfo?.strings.InternalName,
  ]) {
    if (own) known.add(own.toLowerCase());
  }
  // A string run often starts with one stray printable byte before the name (`WUSER32.DLL`).
  const isKnown = (lower: string) => known.has(lower) || known.has(lower.slice(1));
  const siblings = pe.strings.items
    .filter((s) => SIBLING_NAME.test(s.value) && !isKnown(s.value.toLowerCase()))
    .map(
      (s): PeCapabilityEvidence => ({
        source: 'string',
        value: s.value,
        range: stringRange(s.offset, s.value, s.encoding),
      }),
    );
  if (locate.length > 0 && open.length > 0) {
    add('reads-sibling-file', 'capability.filesystem.read-sibling', siblings.length > 0 ? 'strong' : 'weak', [
      ...locate,
      ...open,
      ...siblings,
    ]);
  }
  return facts;
}

function stringRange(
  offset: number,
  value: string,
  encoding: 'ascii' | 'utf16le',
): { offset: number; length: number } {
  return { offset, length: encoding === 'utf16le' ? value.length * 2 : value.length };
}

function dedupe(evidence: PeCapabilityEvidence[]): PeCapabilityEvidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = `${e.source}|${e.dll ?? ''}|${e.function ?? ''}|${e.value ?? ''}|${e.range?.offset ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
