import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../core/errors.js';
import { ASAR_PREAMBLE_BYTES, parseAsarHeader, parseAsarLayout } from './asar.js';

const fixture = new Uint8Array(
  readFileSync(new URL('../../test/fixtures/archives/data/app.asar', import.meta.url)),
);

function parse(bytes: Uint8Array) {
  const layout = parseAsarLayout(bytes.subarray(0, ASAR_PREAMBLE_BYTES), bytes.length);
  return {
    layout,
    entries: parseAsarHeader(
      bytes.subarray(layout.jsonOffset, layout.jsonOffset + layout.jsonLength),
      layout,
      bytes.length,
    ),
  };
}

describe('when the asar made by @electron/asar is parsed', () => {
  it('finds the data offset after the header pickle', () => {
    const { layout } = parse(fixture);
    expect(layout.jsonOffset).toBe(16);
    expect(layout.dataOffset).toBe(8 + new DataView(fixture.buffer, fixture.byteOffset).getUint32(4, true));
  });

  it('lists files with absolute offsets, unpacked files without, links and integrity', () => {
    const { layout, entries } = parse(fixture);
    const index = entries.find((entry) => entry.path === 'index.js');
    expect(index).toMatchObject({ kind: 'file', size: 26, offset: layout.dataOffset, unpacked: false });
    expect(index?.integrity?.algorithm).toBe('SHA256');
    expect(index?.integrity?.blocks).toHaveLength(1);
    const addon = entries.find((entry) => entry.path === 'native/addon.node');
    expect(addon).toMatchObject({ unpacked: true, size: 27 });
    expect(addon?.offset).toBeUndefined();
    expect(entries.find((entry) => entry.path === 'main-link.js')).toMatchObject({
      kind: 'symlink',
      linkTarget: 'lib/main.js',
    });
  });
});

describe('when the preamble is inconsistent', () => {
  const preamble = (values: number[]) => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (const [i, value] of values.entries()) view.setUint32(i * 4, value, true);
    return bytes;
  };

  it.each([
    ['a size pickle other than 4', [8, 100, 96, 90], 'E_FORMAT_MALFORMED'],
    ['a string longer than its pickle', [4, 100, 96, 200], 'E_FORMAT_MALFORMED'],
    ['a header beyond the end of the file', [4, 5000, 4996, 4990], 'E_FORMAT_TRUNCATED'],
    ['a header over the 64 MiB limit', [4, 0xfffffff0, 0xffffffe0, 0x7fffffff], 'E_FORMAT_MALFORMED'],
  ])('refuses %s', (_label, values, code) => {
    expect(() => parseAsarLayout(preamble(values), 1000)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a preamble shorter than 16 bytes', () => {
    expect(() => parseAsarLayout(new Uint8Array(10), 10)).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_TRUNCATED' }),
    );
  });
});

describe('when the fixture is cut at every length (truncation sweep)', () => {
  it('parses or throws a typed error at every cut', () => {
    let failures = 0;
    for (let cut = 0; cut <= fixture.length; cut++) {
      try {
        parse(fixture.subarray(0, cut));
      } catch (error) {
        expect(isCountersignError(error), `cut at ${cut}: ${String(error)}`).toBe(true);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});
