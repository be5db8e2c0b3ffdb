import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../core/errors.js';
import { assertSpdxExpression } from './spdx-expression.js';

describe('when a license string is checked as an SPDX expression', () => {
  it.each([
    'MIT',
    '(MIT OR Apache-2.0)',
    'MIT AND (BSD-2-Clause OR ISC)',
    'GPL-2.0-only WITH Classpath-exception-2.0',
    'GPL-2.0+',
    'LicenseRef-Proprietary',
    'DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2',
  ])('accepts %s', (expression) => {
    expect(() => assertSpdxExpression(expression)).not.toThrow();
  });

  it.each([
    '',
    'SEE LICENSE IN LICENSE.md',
    'UNLICENSED',
    '(MIT OR Apache-2.0',
    'MIT OR',
    'MIT Apache-2.0',
    'mit or apache-2.0',
    'MIT WITH',
    ')MIT(',
    'Totally-Made-Up-1.0',
  ])('rejects %j with a typed error', (expression) => {
    let caught: unknown;
    try {
      assertSpdxExpression(expression);
    } catch (error) {
      caught = error;
    }
    expect(isCountersignError(caught)).toBe(true);
  });
});
