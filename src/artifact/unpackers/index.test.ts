import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, fixtureNode } from '../../../test/fixtures/archives/harness.js';
import { defaultUnpackers } from './index.js';

describe('when the default unpackers are registered', () => {
  it('have distinct namespaced ids', () => {
    const ids = defaultUnpackers().map((unpacker) => unpacker.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^unpacker\/[a-z0-9-]+$/);
  });

  it.each(readdirSync(FIXTURE_DIR).sort())('exactly one accepts %s, by its sniffed type', (name) => {
    const node = fixtureNode(name);
    const accepting = defaultUnpackers().filter((unpacker) => unpacker.accepts(node));
    expect(accepting.map((unpacker) => unpacker.id)).toEqual([`unpacker/${node.type}`]);
  });
});
