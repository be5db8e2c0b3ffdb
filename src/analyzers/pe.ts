import { type CountersignError, isCountersignError, toCountersignError } from '../core/errors.js';
import type { Fact } from '../core/facts.js';
import type { Analyzer, AnalyzerResult, GapInput, NodeHead, NodeView } from '../core/plugin.js';
import type { PeCertificateTable } from '../formats/pe/certificates.js';
import type { PeCodeView } from '../formats/pe/debug.js';
import { shannonEntropy } from '../formats/pe/entropy.js';
import type { PeExport } from '../formats/pe/exports.js';
import type { DataDirectory } from '../formats/pe/headers.js';
import type { PeImportModule } from '../formats/pe/imports.js';
import {
  DEFAULT_MAX_PE_BYTES,
  type PeFile,
  type PeKind,
  type PeRegion,
  type PeSection,
  parsePe,
} from '../formats/pe/pe.js';
import type { PeProblem } from '../formats/pe/problems.js';
import type { PeResourceId } from '../formats/pe/resources.js';
import type { PeIndicator } from '../formats/pe/strings.js';
import { detectCapabilities, type PeCapabilityFact } from './pe-capabilities.js';

/** Identity and headers: what the file is and how it starts. */
export interface PeHeaderFact {
  readonly peKind: PeKind;
  readonly is64: boolean;
  readonly machine: string;
  readonly isDotNet: boolean;
  readonly dotNetRuntime?: string;
  /** COFF TimeDateStamp as ISO time (reproducible builds write a hash here; the raw value is kept too). */
  readonly timeDateStamp: number;
  readonly timeDateStampIso: string;
  readonly subsystem: string;
  readonly characteristics: readonly string[];
  readonly dllCharacteristics: readonly string[];
  readonly linkerVersion: string;
  /** Hex string: 64-bit image bases do not fit a JSON number. */
  readonly imageBase: string;
  readonly sizeOfImage: number;
  readonly sizeOfHeaders: number;
  readonly checkSum: number;
  /** The checksum computed over the file; differs from `checkSum` when the file was changed after linking (or 0 was declared). */
  readonly computedCheckSum: number;
  readonly entryPoint?: {
    readonly rva: number;
    readonly section?: string;
    readonly fileOffset?: number;
    readonly isInExecutableSection: boolean;
  };
  readonly dataDirectories: ReadonlyArray<Pick<DataDirectory, 'name' | 'address' | 'size'>>;
}

export interface PeSectionsFact {
  readonly sections: readonly PeSection[];
}

export interface PeImportsFact {
  /** Ordinary and delay-load imports, one entry per DLL (`delayLoad` tells them apart). */
  readonly modules: readonly PeImportModule[];
  readonly functionCount: number;
}

export interface PeExportsFact {
  readonly dllName?: string;
  readonly entries: readonly PeExport[];
  readonly truncated: boolean;
}

export interface PeTlsFact {
  readonly callbacks: ReadonlyArray<{
    readonly va: string;
    readonly rva?: number;
    readonly section?: string;
  }>;
}

export interface PeResourcesFact {
  readonly count: number;
  /** Count per type (`RT_ICON`, or the numeric/named id for custom types). */
  readonly byType: Readonly<Record<string, number>>;
  /** The first resources with their file ranges (capped). */
  readonly items: ReadonlyArray<{
    readonly type: PeResourceId;
    readonly name: PeResourceId;
    readonly language: number;
    readonly size: number;
    readonly fileOffset?: number;
    readonly entropy?: number;
  }>;
}

export interface PeVersionInfoFact {
  readonly fileVersion?: string;
  readonly productVersion?: string;
  /** CompanyName, ProductName, FileVersion, OriginalFilename, ... as written. */
  readonly strings: Readonly<Record<string, string>>;
}

export interface PeDebugFact {
  readonly entries: ReadonlyArray<{
    readonly type: string;
    readonly timeDateStamp: number;
    readonly codeView?: PeCodeView;
  }>;
  /** The first CodeView PDB path, when any. */
  readonly pdbPath?: string;
}

export type PeCertificateTableFact = PeCertificateTable;

export interface PeOverlayFact {
  readonly regions: ReadonlyArray<PeRegion & { readonly entropy: number; readonly head: string }>;
  readonly totalSize: number;
}

export interface PeStringsFact {
  readonly stringCount: number;
  readonly truncated: boolean;
  readonly indicators: readonly PeIndicator[];
}

export interface PeAnomaliesFact {
  readonly problems: readonly PeProblem[];
}

declare module '../core/facts.js' {
  interface FactRegistry {
    'pe.header': PeHeaderFact;
    'pe.sections': PeSectionsFact;
    'pe.imports': PeImportsFact;
    'pe.exports': PeExportsFact;
    'pe.tls': PeTlsFact;
    'pe.resources': PeResourcesFact;
    'pe.version-info': PeVersionInfoFact;
    'pe.debug': PeDebugFact;
    'pe.certificate-table': PeCertificateTableFact;
    'pe.overlay': PeOverlayFact;
    'pe.strings': PeStringsFact;
    'pe.capability': PeCapabilityFact;
    'pe.anomalies': PeAnomaliesFact;
  }
}

const MAX_RESOURCE_ITEMS = 200;
const OVERLAY_HEAD_BYTES = 16;

/**
 * `analyzer/pe`: reads the whole node (bounded by DEFAULT_MAX_PE_BYTES; a range-reading design
 * would lift that) and turns the parsed file into neutral facts. A file whose headers cannot be
 * read yields a coverage gap with the parser's typed code; broken tables beyond the headers yield
 * a `pe.anomalies` fact and one gap saying which parts were not fully read.
 */
export const peAnalyzer: Analyzer = {
  id: 'analyzer/pe',
  version: 1,
  // Depends on the bytes alone.
  cacheKey: () => '',
  accepts(node: NodeHead): boolean {
    return node.type === 'pe';
  },
  async analyze(node: NodeView): Promise<AnalyzerResult> {
    if (node.size > DEFAULT_MAX_PE_BYTES) {
      return {
        facts: [],
        gaps: [
          {
            code: 'E_ARTIFACT_FILE_TOO_LARGE',
            stage: 'limit',
            message: `PE file of ${node.size} bytes is over the ${DEFAULT_MAX_PE_BYTES}-byte limit of analyzer/pe; not parsed`,
            details: { size: node.size, limit: DEFAULT_MAX_PE_BYTES },
          },
        ],
      };
    }
    const bytes = await node.read();
    let pe: PeFile;
    try {
      pe = parsePe(bytes);
    } catch (error) {
      const typed = isCountersignError(error)
        ? error
        : toCountersignError(error, 'E_PLUGIN_FAILED', 'analyzer/pe');
      return { facts: [], gaps: [gapFrom(typed)] };
    }
    const facts = peFacts(pe, bytes);
    const gaps: GapInput[] = [];
    if (pe.problems.length > 0) {
      const parts = [...new Set(pe.problems.map((p) => p.part))];
      gaps.push({
        code: pe.problems.some((p) => p.code === 'E_PE_MALFORMED') ? 'E_PE_MALFORMED' : 'E_PE_TRUNCATED',
        stage: 'analyze',
        message: `${pe.problems.length} PE table problem(s); not fully read: ${parts.join(', ')}`,
        details: { parts },
      });
    }
    return { facts, gaps };
  },
};

function gapFrom(error: CountersignError): GapInput {
  return {
    code: error.code,
    stage: 'analyze',
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  };
}

/** The facts of one parsed PE file (exported for tests and for callers that already hold a PeFile). */
export function peFacts(pe: PeFile, bytes: Uint8Array): Fact[] {
  const facts: Fact[] = [];
  facts.push({
    kind: 'pe.header',
    peKind: pe.kind,
    is64: pe.is64,
    machine: pe.coff.machineName,
    isDotNet: pe.isDotNet,
    ...(pe.clr?.metadataVersion ? { dotNetRuntime: pe.clr.metadataVersion } : {}),
    timeDateStamp: pe.coff.timeDateStamp,
    timeDateStampIso: new Date(pe.coff.timeDateStamp * 1000).toISOString(),
    subsystem: pe.optional.subsystemName,
    characteristics: pe.characteristics,
    dllCharacteristics: pe.dllCharacteristics,
    linkerVersion: pe.optional.linkerVersion,
    imageBase: `0x${pe.optional.imageBase.toString(16)}`,
    sizeOfImage: pe.optional.sizeOfImage,
    sizeOfHeaders: pe.optional.sizeOfHeaders,
    checkSum: pe.checksum.declared,
    computedCheckSum: pe.checksum.computed,
    ...(pe.entryPoint ? { entryPoint: pe.entryPoint } : {}),
    dataDirectories: pe.dataDirectories
      .filter((d) => d.address !== 0 || d.size !== 0)
      .map((d) => ({ name: d.name, address: d.address, size: d.size })),
  });
  facts.push({ kind: 'pe.sections', sections: pe.sections });
  const modules = [...pe.imports, ...pe.delayImports];
  facts.push({
    kind: 'pe.imports',
    modules,
    functionCount: modules.reduce((n, m) => n + m.functions.length, 0),
  });
  if (pe.exports) {
    facts.push({
      kind: 'pe.exports',
      ...(pe.exports.dllName !== undefined ? { dllName: pe.exports.dllName } : {}),
      entries: pe.exports.entries,
      truncated: pe.exports.truncated,
    });
  }
  if (pe.tls && pe.tls.callbacks.length > 0) {
    facts.push({
      kind: 'pe.tls',
      callbacks: pe.tls.callbacks.map((c) => ({
        va: `0x${c.va.toString(16)}`,
        ...(c.rva !== undefined ? { rva: c.rva } : {}),
        ...(c.section !== undefined ? { section: c.section } : {}),
      })),
    });
  }
  if (pe.resources.length > 0) {
    const byType: Record<string, number> = {};
    for (const r of pe.resources) {
      const key = r.typeName ?? String(r.type);
      byType[key] = (byType[key] ?? 0) + 1;
    }
    // Resources may all point at the same large blob: measure at most twice the file's size.
    let entropyBudget = bytes.length * 2;
    const measure = (offset: number, size: number): { entropy?: number } => {
      if (size > entropyBudget) return {};
      entropyBudget -= size;
      return { entropy: shannonEntropy(bytes.subarray(offset, offset + size)) };
    };
    facts.push({
      kind: 'pe.resources',
      count: pe.resources.length,
      byType,
      items: pe.resources.slice(0, MAX_RESOURCE_ITEMS).map((r) => ({
        type: r.typeName ?? r.type,
        name: r.name,
        language: r.language,
        size: r.size,
        ...(r.fileOffset !== undefined ? { fileOffset: r.fileOffset, ...measure(r.fileOffset, r.size) } : {}),
      })),
    });
  }
  if (pe.versionInfo) {
    facts.push({
      kind: 'pe.version-info',
      ...(pe.versionInfo.fileVersion ? { fileVersion: pe.versionInfo.fileVersion } : {}),
      ...(pe.versionInfo.productVersion ? { productVersion: pe.versionInfo.productVersion } : {}),
      strings: pe.versionInfo.strings,
    });
  }
  if (pe.debug.length > 0) {
    const pdbPath = pe.debug.find((d) => d.codeView)?.codeView?.path;
    facts.push({
      kind: 'pe.debug',
      entries: pe.debug.map((d) => ({
        type: d.typeName,
        timeDateStamp: d.timeDateStamp,
        ...(d.codeView ? { codeView: d.codeView } : {}),
      })),
      ...(pdbPath !== undefined ? { pdbPath } : {}),
    });
  }
  if (pe.certificateTable) facts.push({ kind: 'pe.certificate-table', ...pe.certificateTable });
  if (pe.overlay.length > 0) {
    facts.push({
      kind: 'pe.overlay',
      regions: pe.overlay.map((r) => {
        const data = bytes.subarray(r.offset, r.offset + r.size);
        return {
          ...r,
          entropy: shannonEntropy(data),
          head: Buffer.from(data.subarray(0, OVERLAY_HEAD_BYTES)).toString('hex'),
        };
      }),
      totalSize: pe.overlay.reduce((n, r) => n + r.size, 0),
    });
  }
  facts.push({
    kind: 'pe.strings',
    stringCount: pe.strings.items.length,
    truncated: pe.strings.truncated,
    indicators: pe.strings.indicators,
  });
  for (const capability of detectCapabilities(pe)) facts.push({ kind: 'pe.capability', ...capability });
  if (pe.problems.length > 0) facts.push({ kind: 'pe.anomalies', problems: pe.problems });
  return facts;
}
