import { CountersignError } from '../core/errors.js';
import { CONFIDENCES, SEVERITIES } from '../core/severity.js';
import { DEFAULT_VET_POLICY, type Threshold, type VetPolicy } from './vet-verdict.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new CountersignError('E_USAGE', `vet policy: ${message}`);
}

function threshold(value: unknown, name: string): Threshold {
  if (!isRecord(value)) fail(`${name} must be an object with severity and confidence`);
  const severity = value.severity ?? DEFAULT_VET_POLICY[name as 'block' | 'review'].severity;
  const confidence = value.confidence ?? DEFAULT_VET_POLICY[name as 'block' | 'review'].confidence;
  if (!(SEVERITIES as readonly unknown[]).includes(severity))
    fail(`${name}.severity must be one of ${SEVERITIES.join(', ')}`);
  if (!(CONFIDENCES as readonly unknown[]).includes(confidence)) {
    fail(`${name}.confidence must be one of ${CONFIDENCES.join(', ')}`);
  }
  return { severity, confidence } as Threshold;
}

function score(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    fail(`${name} must be a non-negative number`);
  return value;
}

/**
 * Reads a vet policy from parsed JSON (a `--policy` file): any subset of `block`, `review`,
 * `blockScore`, `reviewScore`, `countInherited`, `id`, `version`; the rest stays the default.
 * Anything else, or a value of the wrong shape, is a usage error that names the field.
 */
export function parseVetPolicy(json: unknown): VetPolicy {
  if (!isRecord(json)) fail('expected a JSON object');
  const known = new Set(['id', 'version', 'block', 'review', 'blockScore', 'reviewScore', 'countInherited']);
  for (const key of Object.keys(json)) if (!known.has(key)) fail(`unknown field ${JSON.stringify(key)}`);
  if (json.id !== undefined && typeof json.id !== 'string') fail('id must be a string');
  if (json.version !== undefined && !Number.isInteger(json.version)) fail('version must be an integer');
  if (json.countInherited !== undefined && typeof json.countInherited !== 'boolean') {
    fail('countInherited must be true or false');
  }
  return {
    ...DEFAULT_VET_POLICY,
    ...(json.id !== undefined ? { id: json.id as string } : {}),
    ...(json.version !== undefined ? { version: json.version as number } : {}),
    ...(json.block !== undefined ? { block: threshold(json.block, 'block') } : {}),
    ...(json.review !== undefined ? { review: threshold(json.review, 'review') } : {}),
    ...(json.blockScore !== undefined ? { blockScore: score(json.blockScore, 'blockScore') } : {}),
    ...(json.reviewScore !== undefined ? { reviewScore: score(json.reviewScore, 'reviewScore') } : {}),
    ...(json.countInherited !== undefined ? { countInherited: json.countInherited as boolean } : {}),
  };
}
