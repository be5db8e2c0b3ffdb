/**
 * Names for the numeric codes in PE headers (PE/COFF specification, "Machine Types",
 * "Characteristics", "Windows Subsystem", "DLL Characteristics", "Optional Header Data Directories").
 * Unknown values keep their number: a name is a convenience, never the only record.
 */

const MACHINES: Readonly<Record<number, string>> = {
  0: 'unknown',
  332: 'i386',
  354: 'r3000',
  358: 'r4000',
  418: 'sh3',
  422: 'sh4',
  448: 'arm',
  450: 'thumb',
  452: 'armnt',
  496: 'powerpc',
  512: 'ia64',
  3772: 'ebc',
  20530: 'riscv32',
  20580: 'riscv64',
  25188: 'loongarch64',
  34404: 'amd64',
  42561: 'arm64ec',
  43620: 'arm64',
};

const SUBSYSTEMS: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'native',
  2: 'windows-gui',
  3: 'windows-cui',
  5: 'os2-cui',
  7: 'posix-cui',
  8: 'native-windows',
  9: 'windows-ce-gui',
  10: 'efi-application',
  11: 'efi-boot-service-driver',
  12: 'efi-runtime-driver',
  13: 'efi-rom',
  14: 'xbox',
  16: 'windows-boot-application',
};

export const FILE_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x0001, 'relocs-stripped'],
  [0x0002, 'executable-image'],
  [0x0004, 'line-nums-stripped'],
  [0x0008, 'local-syms-stripped'],
  [0x0010, 'aggressive-ws-trim'],
  [0x0020, 'large-address-aware'],
  [0x0080, 'bytes-reversed-lo'],
  [0x0100, '32bit-machine'],
  [0x0200, 'debug-stripped'],
  [0x0400, 'removable-run-from-swap'],
  [0x0800, 'net-run-from-swap'],
  [0x1000, 'system'],
  [0x2000, 'dll'],
  [0x4000, 'up-system-only'],
  [0x8000, 'bytes-reversed-hi'],
];

export const DLL_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x0020, 'high-entropy-va'],
  [0x0040, 'dynamic-base'],
  [0x0080, 'force-integrity'],
  [0x0100, 'nx-compat'],
  [0x0200, 'no-isolation'],
  [0x0400, 'no-seh'],
  [0x0800, 'no-bind'],
  [0x1000, 'appcontainer'],
  [0x2000, 'wdm-driver'],
  [0x4000, 'guard-cf'],
  [0x8000, 'terminal-server-aware'],
];

export const SECTION_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x00000020, 'code'],
  [0x00000040, 'initialized-data'],
  [0x00000080, 'uninitialized-data'],
  [0x02000000, 'discardable'],
  [0x04000000, 'not-cached'],
  [0x08000000, 'not-paged'],
  [0x10000000, 'shared'],
  [0x20000000, 'execute'],
  [0x40000000, 'read'],
  [0x80000000, 'write'],
];

export const DATA_DIRECTORY_NAMES = [
  'export',
  'import',
  'resource',
  'exception',
  'security',
  'basereloc',
  'debug',
  'architecture',
  'globalptr',
  'tls',
  'load-config',
  'bound-import',
  'iat',
  'delay-import',
  'clr-runtime',
  'reserved',
] as const;

export type DataDirectoryName = (typeof DATA_DIRECTORY_NAMES)[number];

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `0x${machine.toString(16)}`;
}

export function subsystemName(subsystem: number): string {
  return SUBSYSTEMS[subsystem] ?? `0x${subsystem.toString(16)}`;
}

export function flagNames(value: number, table: ReadonlyArray<readonly [number, string]>): string[] {
  const names: string[] = [];
  for (const [bit, name] of table) if ((value & bit) >>> 0 === bit) names.push(name);
  return names;
}
