import { describe, expect, it } from 'vitest';
import { CountersignError } from '../core/errors.js';
import { parseVetPolicy } from './vet-policy.js';
import { DEFAULT_VET_POLICY } from './vet-verdict.js';

describe('when a vet policy file is read', () => {
  it('keeps the defaults for what it leaves out', () => {
    expect(parseVetPolicy({})).toEqual(DEFAULT_VET_POLICY);
    const strict = parseVetPolicy({ id: 'acme/strict', block: { severity: 'medium' }, reviewScore: 1 });
    expect(strict.block).toEqual({ severity: 'medium', confidence: DEFAULT_VET_POLICY.block.confidence });
    expect(strict.reviewScore).toBe(1);
    expect(strict.id).toBe('acme/strict');
    expect(strict.review).toEqual(DEFAULT_VET_POLICY.review);
  });

  it.each([
    [[], 'expected a JSON object'],
    [{ blok: {} }, 'unknown field "blok"'],
    [{ block: { severity: 'severe' } }, 'block.severity'],
    [{ review: { confidence: 'certain' } }, 'review.confidence'],
    [{ blockScore: -1 }, 'blockScore'],
    [{ countInherited: 'yes' }, 'countInherited'],
  ])('refuses %j with a usage error naming the field', (json, text) => {
    let error: unknown;
    try {
      parseVetPolicy(json);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CountersignError);
    expect((error as CountersignError).code).toBe('E_USAGE');
    expect((error as CountersignError).message).toContain(text);
  });
});
