/**
 * A strict check of SPDX license expressions (`(MIT OR Apache-2.0)`, `GPL-2.0-only WITH
 * Classpath-exception-2.0`), for the CycloneDX library's license factory, which needs one to tell
 * an expression from a free-text license name. Written here because `spdx-expression-parse` is not
 * among our dependencies; it accepts less than the full grammar (no lower-case operators), which
 * is safe: anything rejected is kept verbatim as a named license.
 */
import type * as CDX from '@cyclonedx/cyclonedx-library';
import { lazyPackage } from '../core/lazy-package.js';

const cdx = lazyPackage<typeof CDX>('@cyclonedx/cyclonedx-library');

import { CountersignError } from '../core/errors.js';

const LICENSE_REF = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;
const EXCEPTION_ID = /^[A-Za-z0-9.-]+$/;
const OPERATORS = new Set(['AND', 'OR', 'WITH']);

function isLicenseId(token: string): boolean {
  const id = token.endsWith('+') ? token.slice(0, -1) : token;
  return cdx().SPDX.isSupportedSpdxId(id) || LICENSE_REF.test(token);
}

function invalid(expression: string, why: string): CountersignError {
  return new CountersignError('E_FORMAT_MALFORMED', `not an SPDX license expression (${why}): ${expression}`);
}

/** Throws a CountersignError unless `expression` is a well-formed SPDX license expression. */
export function assertSpdxExpression(expression: string): void {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let position = 0;

  const parseTerm = (): void => {
    const token = tokens[position++];
    if (token === undefined) throw invalid(expression, 'ends early');
    if (token === '(') {
      parseExpression();
      if (tokens[position++] !== ')') throw invalid(expression, 'unbalanced parenthesis');
      return;
    }
    if (OPERATORS.has(token) || token === ')' || !isLicenseId(token)) {
      throw invalid(expression, `unexpected ${token}`);
    }
    if (tokens[position] === 'WITH') {
      const exception = tokens[position + 1];
      if (exception === undefined || !EXCEPTION_ID.test(exception) || OPERATORS.has(exception)) {
        throw invalid(expression, 'WITH needs an exception id');
      }
      position += 2;
    }
  };

  const parseExpression = (): void => {
    parseTerm();
    while (tokens[position] === 'AND' || tokens[position] === 'OR') {
      position++;
      parseTerm();
    }
  };

  parseExpression();
  if (position !== tokens.length) throw invalid(expression, `unexpected ${tokens[position]}`);
}
