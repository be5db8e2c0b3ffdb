import { describe, expect, it } from 'vitest';
import { peFixture } from '../../test/fixtures/pe/fixtures.js';
import { parsePe } from '../formats/pe/pe.js';
import { buildTestPe } from '../formats/pe/test-pe-builder.js';
import { detectCapabilities, type PeCapabilityName } from './pe-capabilities.js';

const capabilitiesOf = (bytes: Uint8Array) =>
  new Map(detectCapabilities(parsePe(bytes)).map((c) => [c.capability, c]));

describe('detectCapabilities', () => {
  describe('when the DLL imports WinHTTP, VirtualProtect and CreateThread (capabilities.dll)', () => {
    const found = capabilitiesOf(peFixture('capabilities.dll'));

    it('finds network from the WinHTTP import, with the URL as supporting evidence', () => {
      const network = found.get('network')!;
      expect(network.strength).toBe('strong');
      expect(network.evidence).toContainEqual({ source: 'import', dll: 'winhttp.dll' });
      expect(network.evidence.some((e) => e.function === 'WinHttpSendRequest')).toBe(true);
      expect(network.evidence.some((e) => e.value?.includes('icon%d.ico'))).toBe(true);
    });

    it('calls memory execution strong: protect + start a thread', () => {
      const memory = found.get('memory-execution')!;
      expect(memory.strength).toBe('strong');
      expect(memory.evidence.map((e) => e.function)).toEqual(
        expect.arrayContaining(['VirtualProtect', 'CreateThread']),
      );
    });

    it('finds registry persistence from RegSetValueExA and the Run key', () => {
      const persistence = found.get('registry-persistence')!;
      expect(persistence.strength).toBe('strong');
      expect(persistence.evidence.some((e) => e.function === 'RegSetValueExA')).toBe(true);
      expect(persistence.evidence.some((e) => e.value?.endsWith('CurrentVersion\\Run'))).toBe(true);
    });

    it('finds reading a sibling file: own path + open + a bare DLL name', () => {
      const sibling = found.get('reads-sibling-file')!;
      expect(sibling.strength).toBe('strong');
      expect(sibling.evidence.some((e) => e.value === 'd3dcompiler_47.dll')).toBe(true);
      expect(sibling.evidence.some((e) => e.function === 'GetModuleFileNameA')).toBe(true);
    });

    it('gives string evidence a file range that holds the string', () => {
      const bytes = peFixture('capabilities.dll');
      const evidence = found
        .get('reads-sibling-file')!
        .evidence.find((e) => e.value === 'd3dcompiler_47.dll')!;
      const { offset, length } = evidence.range!;
      expect(Buffer.from(bytes.subarray(offset, offset + length)).toString('latin1')).toBe(
        'd3dcompiler_47.dll',
      );
    });
  });

  describe('when the DLL is plain (plain.dll, mingw runtime only)', () => {
    const found = capabilitiesOf(peFixture('plain.dll'));

    it('has no network, process, persistence or sibling-file capability', () => {
      for (const name of [
        'network',
        'process-creation',
        'registry-persistence',
        'reads-sibling-file',
      ] as PeCapabilityName[]) {
        expect(found.has(name)).toBe(false);
      }
    });

    it('reports the runtime VirtualProtect as weak memory execution only', () => {
      expect(found.get('memory-execution')?.strength).toBe('weak');
    });
  });

  describe('when the EXE calls IsDebuggerPresent (hello32.exe)', () => {
    it('finds anti-debugging from the import, weak because runtimes import it too', () => {
      const anti = capabilitiesOf(peFixture('hello32.exe')).get('anti-debugging')!;
      expect(anti.evidence).toContainEqual({
        source: 'import',
        dll: 'kernel32.dll',
        function: 'IsDebuggerPresent',
      });
      expect(anti.strength).toBe('weak');
    });
  });

  describe('when a deliberate anti-debugging API is named', () => {
    it('calls anti-debugging strong', () => {
      const text = new TextEncoder().encode('\0CheckRemoteDebuggerPresent\0');
      const found = capabilitiesOf(buildTestPe({ sections: [{ name: '.rdata', data: text }] }).bytes);
      expect(found.get('anti-debugging')?.strength).toBe('strong');
    });
  });

  describe('when bare file names include system DLLs and a stray-byte prefix', () => {
    const text = new TextEncoder().encode(
      '\0GetModuleFileNameW\0CreateFileW\0shell32.dll\0WUSER32.DLL\0payload.dat\0',
    );
    const sibling = capabilitiesOf(buildTestPe({ sections: [{ name: '.rdata', data: text }] }).bytes).get(
      'reads-sibling-file',
    )!;
    const names = sibling.evidence.flatMap((e) =>
      e.source === 'string' && e.value?.includes('.') ? [e.value] : [],
    );

    it('keeps only the name that could be a sibling file', () => {
      expect(names).toEqual(['payload.dat']);
      expect(sibling.strength).toBe('strong');
    });
  });

  describe('when API names are only strings (resolved at run time)', () => {
    const text = new TextEncoder().encode(
      '\0VirtualAlloc\0CreateRemoteThread\0CreateProcessW\0BCryptDecrypt\0',
    );
    const bytes = buildTestPe({ sections: [{ name: '.rdata', data: text }] }).bytes;
    const found = capabilitiesOf(bytes);

    it('uses the strings as evidence, marked as strings', () => {
      expect(found.get('memory-execution')).toMatchObject({ strength: 'strong' });
      expect(found.get('memory-execution')!.evidence.every((e) => e.source === 'string')).toBe(true);
      expect(found.get('process-creation')!.evidence[0]).toMatchObject({
        source: 'string',
        value: 'CreateProcessW',
      });
      expect(found.get('crypto')!.evidence[0]).toMatchObject({ source: 'string', value: 'BCryptDecrypt' });
    });
  });

  describe('when the delay-load imports hold the capability (delayload.exe)', () => {
    it('marks the evidence as delay-import', () => {
      const bytes = peFixture('delayload.exe');
      const pe = parsePe(bytes);
      expect(pe.delayImports.length).toBeGreaterThan(0);
      const dynamic = detectCapabilities(pe).find((c) => c.capability === 'dynamic-loading')!;
      expect(dynamic.strength).toBe('strong');
    });
  });
});
