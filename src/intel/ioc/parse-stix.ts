import {
  child,
  expectArray,
  expectObject,
  isRecord,
  type JsonLocation,
  malformed,
  parseJsonText,
} from '../json-shape.js';
import { IocCollector } from './build.js';
import { parseStixPattern } from './stix-pattern.js';
import type { IocImport, IocImportOptions } from './types.js';

/**
 * A STIX 2.1 (or 2.0) bundle: each `indicator` object's pattern becomes indicators (one per
 * comparison), carrying the indicator's name, `indicator_types`/`labels` as tags, `confidence`,
 * `valid_until` as expiry and its first external reference URL. Revoked indicators, non-STIX
 * pattern languages and unsupported patterns are rejected with the reason. Other object types
 * (malware, relationships, identities) are context and are not counted as rejections.
 */
export function parseStixBundle(text: string, options: IocImportOptions): IocImport {
  const file = options.source;
  const root: JsonLocation = { file, path: '$' };
  const doc = expectObject(parseJsonText(text, file), root);
  const objectsAt = child(root, 'objects');
  let objects: readonly unknown[];
  if (doc.type === 'bundle') objects = expectArray(doc.objects ?? [], objectsAt);
  else if (doc.type === 'indicator') objects = [doc];
  else
    throw malformed(
      child(root, 'type'),
      `expected a STIX bundle or indicator, found type ${JSON.stringify(doc.type)}`,
    );

  const collector = new IocCollector(options);
  for (const [index, item] of objects.entries()) {
    const at = objects.length === 1 && doc.type === 'indicator' ? root : child(objectsAt, index);
    if (!isRecord(item)) {
      collector.reject({ location: at.path, path: at.path }, 'not a STIX object');
      continue;
    }
    if (item.type !== 'indicator') continue;
    const where = { location: at.path, path: at.path };
    const pattern = item.pattern;
    if (typeof pattern !== 'string') {
      collector.reject(where, 'indicator has no pattern string');
      continue;
    }
    if (item.revoked === true) {
      collector.reject({ ...where, value: pattern }, 'indicator is revoked');
      continue;
    }
    if (item.pattern_type !== undefined && item.pattern_type !== 'stix') {
      collector.reject(
        { ...where, value: pattern },
        `pattern_type ${JSON.stringify(item.pattern_type)} is not STIX patterning`,
      );
      continue;
    }
    const parsed = parseStixPattern(pattern);
    if (!parsed.ok) {
      collector.reject({ ...where, value: pattern }, parsed.reason);
      continue;
    }
    const tags = [...stringList(item.indicator_types), ...stringList(item.labels)];
    const confidence =
      typeof item.confidence === 'number' && item.confidence >= 0 && item.confidence <= 100
        ? item.confidence
        : undefined;
    const expiresAt =
      typeof item.valid_until === 'string' && !Number.isNaN(Date.parse(item.valid_until))
        ? item.valid_until
        : undefined;
    const description =
      typeof item.name === 'string'
        ? item.name
        : typeof item.description === 'string'
          ? item.description
          : undefined;
    const reference = firstReferenceUrl(item.external_references);
    for (const comparison of parsed.comparisons) {
      collector.add({
        type: comparison.type,
        value: comparison.value,
        location: `${at.path} (${typeof item.id === 'string' ? item.id : 'indicator'})`,
        path: at.path,
        tags,
        ...(confidence !== undefined ? { confidence } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(reference !== undefined ? { reference } : {}),
      });
    }
  }
  if (objects.length === 0) throw malformed(objectsAt, 'the bundle holds no objects');
  return collector.result();
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function firstReferenceUrl(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const ref of value) if (isRecord(ref) && typeof ref.url === 'string') return ref.url;
  return undefined;
}
