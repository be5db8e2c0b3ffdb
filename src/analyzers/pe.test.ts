import { describe, expect, it } from 'vitest';
import { corkamiFixture, peFixture } from '../../test/fixtures/pe/fixtures.js';
import { memoryNode } from '../artifact/memory-node.js';
import { factsOfKind } from '../core/facts.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { buildTestPe, testWinCertificate } from '../formats/pe/test-pe-builder.js';
import { peAnalyzer } from './pe.js';

const analyze = (bytes: Uint8Array, name: string) =>
  peAnalyzer.analyze(memoryNode(bytes, { name }), { limits: DEFAULT_LIMITS });

describe('analyzer/pe', () => {
  describe('when the node is a PE file', () => {
    it('accepts it, and declines other types', () => {
      expect(peAnalyzer.accepts(memoryNode(peFixture('plain.dll'), { name: 'plain.dll' }))).toBe(true);
      expect(peAnalyzer.accepts(memoryNode(new TextEncoder().encode('{"a":1}'), { name: 'x.json' }))).toBe(
        false,
      );
    });
  });

  describe('when analyzing capabilities.dll', async () => {
    const { facts, gaps } = await analyze(peFixture('capabilities.dll'), 'capabilities.dll');

    it('gives the header, imports and capabilities as facts with no gap', () => {
      expect(gaps).toEqual([]);
      const [header] = factsOfKind(facts, 'pe.header');
      expect(header).toMatchObject({ peKind: 'dll', is64: true, machine: 'amd64', subsystem: 'windows-cui' });
      expect(header!.entryPoint?.section).toBe('.text');
      const [imports] = factsOfKind(facts, 'pe.imports');
      expect(imports!.modules.map((m) => m.dll.toLowerCase())).toContain('winhttp.dll');
      expect(imports!.functionCount).toBe(imports!.modules.reduce((n, m) => n + m.functions.length, 0));
      const capabilities = factsOfKind(facts, 'pe.capability').map((c) => c.capability);
      expect(capabilities).toEqual(
        expect.arrayContaining(['network', 'memory-execution', 'reads-sibling-file']),
      );
    });

    it('keeps the facts JSON-serialisable (no bigint leaks)', () => {
      expect(() => JSON.stringify(facts)).not.toThrow();
    });

    it('gives the sections with their entropy', () => {
      const [sections] = factsOfKind(facts, 'pe.sections');
      const text = sections!.sections.find((s) => s.name === '.text')!;
      expect(text.entropy).toBeGreaterThan(4);
      expect(text.entropy).toBeLessThanOrEqual(8);
    });
  });

  describe('when analyzing the EXE with version info and TLS', async () => {
    const { facts } = await analyze(peFixture('hello32.exe'), 'hello32.exe');

    it('gives the version strings and the TLS callbacks', () => {
      expect(factsOfKind(facts, 'pe.version-info')[0]?.strings.OriginalFilename).toBe('hello32.exe');
      expect(factsOfKind(facts, 'pe.tls')[0]!.callbacks.length).toBeGreaterThan(0);
      expect(factsOfKind(facts, 'pe.resources')[0]?.byType).toEqual({ RT_VERSION: 1 });
    });
  });

  describe('when analyzing the EXE with a PDB path', async () => {
    const { facts } = await analyze(peFixture('delayload.exe'), 'delayload.exe');

    it('gives the PDB path and marks delay-load modules', () => {
      expect(factsOfKind(facts, 'pe.debug')[0]?.pdbPath).toBe('delayload');
      const modules = factsOfKind(facts, 'pe.imports')[0]!.modules;
      expect(modules.filter((m) => m.delayLoad).map((m) => m.dll)).toEqual(['user32.dll', 'version.dll']);
    });
  });

  describe('when data follows the sections and sits in the certificate table', async () => {
    const overlay = new Uint8Array(64).fill(0xab);
    const built = buildTestPe({
      sections: [{ name: '.text', data: new Uint8Array(32) }],
      overlay,
      certificateTable: testWinCertificate(new Uint8Array(32)),
    });
    const { facts } = await analyze(built.bytes, 'signed.exe');

    it('gives the overlay without the certificate table, and the table location', () => {
      const [table] = factsOfKind(facts, 'pe.certificate-table');
      expect(table).toMatchObject({ offset: built.certificateTableOffset, isWithinFile: true });
      const [overlayFact] = factsOfKind(facts, 'pe.overlay');
      expect(overlayFact!.totalSize).toBe(built.certificateTableOffset! - built.overlayOffset!);
      expect(overlayFact!.regions[0]!.head.startsWith('abab')).toBe(true);
      expect(overlayFact!.regions[0]!.entropy).toBe(0);
    });
  });

  describe('when the headers cannot be read', () => {
    it('gives a gap with the typed code and no facts', async () => {
      const cut = peFixture('plain.dll').subarray(0, 0x90);
      const { facts, gaps } = await analyze(cut, 'cut.dll');
      expect(facts).toEqual([]);
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toMatchObject({ code: 'E_PE_TRUNCATED', stage: 'analyze' });
    });
  });

  describe('when tables beyond the headers are broken (corkami dllord.dll)', () => {
    it('gives the facts, an anomalies fact and one gap naming the parts', async () => {
      const { facts, gaps } = await analyze(corkamiFixture('dllord.dll'), 'dllord.dll');
      expect(factsOfKind(facts, 'pe.header')).toHaveLength(1);
      const [anomalies] = factsOfKind(facts, 'pe.anomalies');
      expect(anomalies!.problems.some((p) => p.part === 'exports')).toBe(true);
      expect(gaps).toHaveLength(1);
      expect(gaps[0]!.message).toMatch(/exports/);
    });
  });
});
