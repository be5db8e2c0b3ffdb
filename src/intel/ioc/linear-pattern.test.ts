import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLinearPattern, mustCompileLinearPattern } from './linear-pattern.js';

describe('when signature-base file-name patterns are compiled', () => {
  it('matches Windows paths case-insensitively, honouring anchors', () => {
    const quartz = mustCompileLinearPattern('\\\\Library\\\\Graphics\\\\Quartz$');
    expect(quartz.test('\\Users\\x\\library\\graphics\\quartz')).toBe(true);
    expect(quartz.test('\\Users\\x\\Library\\Graphics\\Quartz\\other')).toBe(false);
    const msi = mustCompileLinearPattern('\\\\3CXDesktopApp-18\\.12\\.407\\.msi');
    expect(msi.test('C:\\Downloads\\3cxdesktopapp-18.12.407.msi')).toBe(true);
    expect(msi.test('C:\\Downloads\\3CXDesktopApp-18x12x407.msi')).toBe(false);
    const start = mustCompileLinearPattern('^C:\\\\ProgramData\\\\TPM\\\\');
    expect(start.test('C:\\ProgramData\\TPM\\winscard.dll')).toBe(true);
    expect(start.test('D:\\C:\\ProgramData\\TPM\\winscard.dll')).toBe(false);
  });

  it('refuses what cannot run in linear time, and says where', () => {
    for (const source of [
      '(a)\\1',
      '(?=a)b',
      '(?<n>a)',
      'a**',
      '[a-',
      '(ab',
      'ab)',
      '*a',
      'a{5,2}',
      '\\bword',
    ]) {
      const result = compileLinearPattern(source);
      expect(result.ok, source).toBe(false);
    }
  });

  it('finishes promptly on inputs that make backtracking engines explode', () => {
    const pattern = mustCompileLinearPattern('(a|a)*(a*)*b');
    expect(pattern.test('a'.repeat(20_000))).toBe(false);
    expect(pattern.test(`${'a'.repeat(20_000)}b`)).toBe(true);
  });
});

describe('when compared with JavaScript RegExp on random inputs', () => {
  it('gives the same answer for the supported subset', () => {
    const patterns = [
      'a.c',
      '^ab*c$',
      '(ab|cd)+e',
      '[a-c]{2,3}d',
      '[^ab]x?',
      'a\\.b',
      '\\d+z',
      '^(?:ba|a)*$',
      'c{2}',
      // literal runs exercise the substring prefilter
      'ab\\.c',
      '^abc$',
      'x(ab)?cd',
      'abc|de',
      'a^bc',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.stringMatching(/^[abcdexz.0-9]{0,12}$/),
        (source, input) => {
          const ours = mustCompileLinearPattern(source).test(input);
          expect(ours).toBe(new RegExp(source, 'i').test(input));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
