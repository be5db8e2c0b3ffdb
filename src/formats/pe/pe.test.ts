import { describe, expect, it } from 'vitest';
import { corkamiFixture, peFixture } from '../../../test/fixtures/pe/fixtures.js';
import { isCountersignError } from '../../core/errors.js';
import { parsePe } from './pe.js';
import { buildTestPe, testSectionRva, testWinCertificate } from './test-pe-builder.js';

const functionNames = (pe: ReturnType<typeof parsePe>, dll: string) =>
  [...pe.imports, ...pe.delayImports]
    .filter((m) => m.dll.toLowerCase() === dll)
    .flatMap((m) => m.functions.map((f) => f.name ?? `#${f.ordinal}`));

describe('parsePe', () => {
  describe('when reading the plain 64-bit DLL (plain.c + plain.def)', () => {
    const pe = parsePe(peFixture('plain.dll'));

    it('knows it is a 64-bit amd64 DLL', () => {
      expect(pe.kind).toBe('dll');
      expect(pe.is64).toBe(true);
      expect(pe.coff.machineName).toBe('amd64');
      expect(pe.characteristics).toContain('dll');
      expect(pe.isDotNet).toBe(false);
    });

    it('lists the exports of the .def file, with the ordinal-only export and the forwarder', () => {
      const byOrdinal = new Map(pe.exports!.entries.map((e) => [e.ordinal, e]));
      expect(byOrdinal.get(1)?.name).toBe('add_numbers');
      expect(byOrdinal.get(2)?.name).toBe('multiply_numbers');
      expect(byOrdinal.get(3)).toMatchObject({ name: 'ForwardedSleep', forwarder: 'kernel32.Sleep' });
      expect(byOrdinal.get(7)?.name).toBeUndefined();
      expect(pe.exports!.dllName).toBe('plain.dll');
    });

    it('puts the entry point in an executable .text section', () => {
      expect(pe.entryPoint).toMatchObject({ section: '.text', isInExecutableSection: true });
    });

    it('has no overlay, no certificate table and no problems', () => {
      expect(pe.overlay).toEqual([]);
      expect(pe.certificateTable).toBeUndefined();
      expect(pe.problems).toEqual([]);
    });
  });

  describe('when reading capabilities.dll (WinHTTP + VirtualProtect + CreateThread)', () => {
    const pe = parsePe(peFixture('capabilities.dll'));

    it('lists the imports per DLL', () => {
      expect(functionNames(pe, 'winhttp.dll')).toEqual(
        expect.arrayContaining(['WinHttpOpen', 'WinHttpConnect', 'WinHttpOpenRequest', 'WinHttpSendRequest']),
      );
      expect(functionNames(pe, 'kernel32.dll')).toEqual(
        expect.arrayContaining(['VirtualProtect', 'CreateThread', 'GetModuleFileNameA', 'CreateFileA']),
      );
      expect(functionNames(pe, 'advapi32.dll')).toEqual(expect.arrayContaining(['RegSetValueExA']));
    });

    it('classifies the embedded strings as indicators', () => {
      const found = pe.strings.indicators.map((i) => `${i.kind} ${i.value}`);
      expect(found).toContain('format-url https://raw.example.invalid/IconStorages/images/icon%d.ico');
      expect(found).toContain('url https://raw.example.invalid/IconStorages/images/icon%d.ico');
      expect(found).toContain('domain update.example.invalid');
      expect(found).toContain('ipv4 198.51.100.7');
      expect(found).toContain('registry-key SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run');
    });

    it('records the UTF-16 host with its encoding', () => {
      const host = pe.strings.indicators.find((i) => i.value === 'update.example.invalid');
      expect(host?.encoding).toBe('utf16le');
    });
  });

  describe('when reading the 32-bit EXE with a version resource and a TLS callback', () => {
    const pe = parsePe(peFixture('hello32.exe'));

    it('is a PE32 i386 console EXE', () => {
      expect(pe).toMatchObject({ kind: 'exe', is64: false });
      expect(pe.coff.machineName).toBe('i386');
      expect(pe.optional.subsystemName).toBe('windows-cui');
    });

    it('reads the version strings written in hello32.rc', () => {
      expect(pe.versionInfo?.strings).toMatchObject({
        CompanyName: 'Example Fixture Corp',
        ProductName: 'Countersign Fixtures',
        FileVersion: '1.2.3.4',
        OriginalFilename: 'hello32.exe',
      });
      expect(pe.versionInfo?.fileVersion).toBe('1.2.3.4');
      expect(pe.versionInfo?.productVersion).toBe('1.2.0.0');
      expect(pe.versionInfo?.languages).toEqual(['040904b0']);
    });

    it('does not call the version number an IP address', () => {
      expect(pe.strings.indicators.filter((i) => i.kind === 'ipv4')).toEqual([]);
    });

    it('finds TLS callbacks inside .text', () => {
      expect(pe.tls!.callbacks.length).toBeGreaterThan(0);
      for (const callback of pe.tls!.callbacks) expect(callback.section).toBe('.text');
    });

    it('lists IsDebuggerPresent among the imports', () => {
      expect(functionNames(pe, 'kernel32.dll')).toContain('IsDebuggerPresent');
    });
  });

  describe('when reading the EXE with delay-load imports and a PDB path', () => {
    const pe = parsePe(peFixture('delayload.exe'));

    it('lists each delay-loaded DLL and function, apart from ordinary imports', () => {
      expect(pe.delayImports.map((m) => m.dll)).toEqual(['user32.dll', 'version.dll']);
      expect(functionNames(pe, 'user32.dll')).toEqual(['MessageBoxA']);
      expect(functionNames(pe, 'version.dll')).toEqual(['GetFileVersionInfoSizeA']);
      expect(pe.delayImports.every((m) => m.delayLoad)).toBe(true);
      expect(pe.imports.some((m) => m.dll.toLowerCase() === 'user32.dll')).toBe(false);
    });

    it('reads the CodeView PDB path', () => {
      const codeView = pe.debug.find((d) => d.codeView)?.codeView;
      expect(codeView).toMatchObject({ format: 'RSDS', path: 'delayload', age: 1 });
      expect(codeView?.guid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    });
  });

  describe('when a certificate table and an overlay are present', () => {
    const overlay = new TextEncoder().encode('PK\u0003\u0004appended-archive');
    const certificate = testWinCertificate(new Uint8Array(40).fill(0x30));
    const built = buildTestPe({
      sections: [{ name: '.text', data: new Uint8Array(64).fill(0x90), characteristics: 0x60000020 }],
      overlay,
      certificateTable: certificate,
    });
    const pe = parsePe(built.bytes);

    it('lists each WIN_CERTIFICATE header', () => {
      expect(pe.certificateTable).toMatchObject({
        offset: built.certificateTableOffset,
        size: certificate.length,
      });
      expect(pe.certificateTable!.entries).toEqual([
        { offset: built.certificateTableOffset, length: 48, revision: 0x200, type: 2 },
      ]);
      expect(pe.certificateTable!.trailingBytes).toBe(0);
    });

    it('reports the overlay before the certificate table, without the table', () => {
      expect(pe.overlay).toEqual([
        { offset: built.overlayOffset, size: built.certificateTableOffset! - built.overlayOffset! },
      ]);
    });
  });

  describe('when bytes follow the certificate table', () => {
    const certificate = testWinCertificate(new Uint8Array(16));
    const built = buildTestPe({
      sections: [{ name: '.text', data: new Uint8Array(16) }],
      certificateTable: certificate,
    });
    const tail = new Uint8Array(24).fill(0xee);
    const bytes = new Uint8Array([...built.bytes, ...tail]);

    it('reports them as overlay after the table', () => {
      expect(parsePe(bytes).overlay).toEqual([{ offset: built.bytes.length, size: tail.length }]);
    });
  });

  describe('when the certificate table holds more than its entries', () => {
    const certificate = testWinCertificate(new Uint8Array(16));
    const padded = new Uint8Array(certificate.length + 64);
    padded.set(certificate);
    padded.fill(0x41, certificate.length);
    const pe = parsePe(buildTestPe({ certificateTable: padded }).bytes);

    it('counts the bytes after the last entry', () => {
      // The 0x41 bytes read as a WIN_CERTIFICATE header of absurd length: one more entry, noted.
      expect(pe.certificateTable!.entries[0]!.length).toBe(24);
      expect(pe.problems.some((p) => p.part === 'certificates')).toBe(true);
    });
  });

  describe('when an import lookup table points at itself', () => {
    // Descriptor at the start of .idata whose INT is the descriptor table itself: the "thunks" are
    // the descriptor's own fields, and the walk must still end.
    const data = new Uint8Array(0x200);
    const built = buildTestPe({ sections: [{ name: '.idata', data }] });
    const rva = built.sectionRvas[0]!;
    const view = new DataView(built.bytes.buffer);
    const at = built.sectionOffsets[0]!;
    view.setUint32(at, rva, true); // OriginalFirstThunk -> itself
    view.setUint32(at + 12, rva + 0x100, true); // Name
    view.setUint32(at + 16, rva, true); // FirstThunk
    built.bytes.set(new TextEncoder().encode('loop.dll'), at + 0x100);
    const bytes = withDirectory(built.bytes, built.peHeaderOffset, 1, rva, 40);

    it('ends with a result and a bounded import list', () => {
      const pe = parsePe(bytes);
      expect(pe.imports[0]?.dll).toBe('loop.dll');
      expect(pe.imports[0]!.functions.length).toBeLessThan(0x200);
    });
  });

  describe.each([
    ['RVAs (attribute 1)', 1],
    ['virtual addresses (VC6 style, attribute 0)', 0],
  ] as const)('when a delay-import descriptor holds %s', (_label, attributes) => {
    const data = new Uint8Array(0x200);
    const sections = [{ name: '.didat', data }];
    const rva = testSectionRva(sections, 0);
    const base = attributes === 1 ? 0 : 0x400000; // the builder's PE32 image base
    const view = new DataView(data.buffer);
    view.setUint32(0, attributes, true);
    view.setUint32(4, base + rva + 0x100, true); // DLL name
    view.setUint32(16, base + rva + 0x80, true); // import name table
    view.setUint32(0x80, base + rva + 0x140, true); // by name: hint/name entry
    view.setUint32(0x84, 0x80000000 | 12, true); // by ordinal 12
    data.set(new TextEncoder().encode('late.dll'), 0x100);
    data.set(new TextEncoder().encode('LateFunction'), 0x142);
    const built = buildTestPe({ sections, directories: { 'delay-import': { address: rva, size: 64 } } });

    it('lists the DLL with its named and ordinal functions', () => {
      const pe = parsePe(built.bytes);
      expect(pe.delayImports).toEqual([
        {
          dll: 'late.dll',
          delayLoad: true,
          functions: [{ name: 'LateFunction', hint: 0 }, { ordinal: 12 }],
          truncated: false,
        },
      ]);
      expect(pe.problems).toEqual([]);
    });
  });

  describe('when a resource directory is its own child', () => {
    const data = new Uint8Array(0x40);
    const view = new DataView(data.buffer);
    view.setUint16(14, 1, true); // one id entry
    view.setUint32(16, 3, true); // id 3 (RT_ICON)
    view.setUint32(20, 0x80000000, true); // subdirectory at offset 0: the root itself
    const sections = [{ name: '.rsrc', data }];
    const built = buildTestPe({
      sections,
      directories: { resource: { address: testSectionRva(sections, 0), size: 0x40 } },
    });

    it('notes the cycle and stops', () => {
      const pe = parsePe(built.bytes);
      expect(pe.resources).toEqual([]);
      expect(pe.problems.map((p) => p.message).join(' ')).toMatch(/cycle/);
    });
  });

  describe('when the export directory declares 4 billion functions', () => {
    it('reads a capped, bounded list (corkami dllord.dll)', () => {
      const pe = parsePe(corkamiFixture('dllord.dll'));
      expect(pe.exports!.declaredFunctions).toBe(0xffffffff);
      expect(pe.exports!.truncated).toBe(true);
      expect(pe.exports!.entries.length).toBeLessThanOrEqual(65_536);
    });
  });

  describe('when an export forwards to itself in a loop (corkami dllfwloop.dll)', () => {
    it('records the forwarders without following them', () => {
      const pe = parsePe(corkamiFixture('dllfwloop.dll'));
      expect(pe.exports!.entries.some((e) => e.forwarder !== undefined)).toBe(true);
    });
  });

  describe('when the file is a .NET assembly (corkami dotnet20.exe)', () => {
    it('detects the CLR header and its runtime version', () => {
      const pe = parsePe(corkamiFixture('dotnet20.exe'));
      expect(pe.isDotNet).toBe(true);
      expect(pe.clr?.metadataVersion).toMatch(/^v2\./);
    });
  });

  describe('when the import table ends in the virtual part of a section (corkami imports_vterm.exe)', () => {
    it('reads the zero-filled terminator as the loader does, with no problem', () => {
      const pe = parsePe(corkamiFixture('imports_vterm.exe'));
      expect(pe.imports.map((m) => m.dll.toLowerCase())).toEqual(['kernel32.dll', 'msvcrt.dll']);
      expect(pe.problems.filter((p) => p.part === 'imports')).toEqual([]);
    });
  });

  describe('when a function is imported by ordinal (corkami impbyord.exe)', () => {
    it('records the ordinal and no name', () => {
      const pe = parsePe(corkamiFixture('impbyord.exe'));
      const byOrdinal = pe.imports.flatMap((m) => m.functions).filter((f) => f.ordinal !== undefined);
      expect(byOrdinal.length).toBeGreaterThan(0);
      expect(byOrdinal.every((f) => f.name === undefined)).toBe(true);
    });
  });

  describe('when the subsystem or characteristics say what kind of image it is', () => {
    it.each([
      ['efi', { subsystem: 10 }],
      ['efi', { subsystem: 12, characteristics: 0x2102 }],
      ['sys', { subsystem: 1 }],
      ['dll', { characteristics: 0x2102 }],
      ['exe', { subsystem: 2 }],
    ] as const)('calls it %s', (kind, options) => {
      expect(parsePe(buildTestPe(options).bytes).kind).toBe(kind);
    });
  });

  describe('when the file is larger than the parse limit', () => {
    it('refuses with a typed error', () => {
      let thrown: unknown;
      try {
        parsePe(peFixture('plain.dll'), { maxBytes: 1024 });
      } catch (error) {
        thrown = error;
      }
      expect(isCountersignError(thrown) && thrown.code).toBe('E_PE_MALFORMED');
    });
  });
});

/** Sets data directory `index` in a built PE32 image (the builder's optional header is at e_lfanew + 24). */
function withDirectory(
  bytes: Uint8Array,
  peOffset: number,
  index: number,
  address: number,
  size: number,
): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  const directories = peOffset + 24 + 96;
  view.setUint32(directories + index * 8, address, true);
  view.setUint32(directories + index * 8 + 4, size, true);
  return copy;
}
