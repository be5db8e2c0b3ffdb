import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULE_FAMILIES, ruleCatalogue } from './rule-catalogue.js';
import { RULE_DOCS_COMMAND, RULE_DOCS_PATH, renderRuleDocs } from './rule-docs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the rule catalogue', () => {
  const rules = ruleCatalogue();

  it('holds every family, and no id twice', () => {
    expect(new Set(rules.map((rule) => rule.family))).toEqual(new Set(RULE_FAMILIES));
    const ids = rules.map((rule) => rule.id);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  it('gives every rule a title and a rationale a reader can act on', () => {
    for (const rule of rules) {
      expect(rule.title.length, rule.id).toBeGreaterThan(5);
      expect(rule.rationale.length, rule.id).toBeGreaterThan(20);
      expect(rule.id, rule.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    }
  });

  it('selects families in catalogue order', () => {
    expect(ruleCatalogue(['intel']).every((rule) => rule.family === 'intel')).toBe(true);
    expect(ruleCatalogue(['diff', 'intel']).length).toBe(
      ruleCatalogue(['diff']).length + ruleCatalogue(['intel']).length,
    );
  });
});

describe(`when ${RULE_DOCS_PATH} is compared with the catalogue`, () => {
  it(`is up to date (regenerate with: ${RULE_DOCS_COMMAND})`, async () => {
    const committed = await readFile(join(root, RULE_DOCS_PATH), 'utf8');
    const expected = renderRuleDocs(ruleCatalogue());
    expect(
      committed === expected,
      `${RULE_DOCS_PATH} is stale; regenerate it with: ${RULE_DOCS_COMMAND}`,
    ).toBe(true);
  });

  it('names every rule with a section and a row of its family table', () => {
    const docs = renderRuleDocs(ruleCatalogue());
    for (const rule of ruleCatalogue()) {
      expect(docs).toContain(`\n### ${rule.id}\n`);
      expect(docs).toContain(`| [\`${rule.id}\`]`);
    }
  });

  it('escapes a pipe in a title so the table keeps its columns', () => {
    const [rule] = ruleCatalogue(['intel']);
    const docs = renderRuleDocs([{ ...rule!, title: 'a | b' }]);
    expect(docs).toContain('| a \\| b |');
  });
});
