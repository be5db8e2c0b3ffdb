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
import type { IocImport, IocImportOptions, IocType } from './types.js';

export interface IocMispOptions extends IocImportOptions {
  /**
   * Also import attributes marked `to_ids: false` (context, "not for detection" in MISP's own
   * words). Default false: they are listed as rejections with that reason.
   */
  readonly includeNonIds?: boolean;
}

/** MISP attribute types → ours. Composite types (`a|b`) map each half. */
const SINGLE: Readonly<Record<string, IocType>> = {
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha512: 'sha512',
  domain: 'domain',
  hostname: 'domain',
  url: 'url',
  'ip-dst': 'ip',
  'ip-src': 'ip',
  filename: 'filename',
};
const COMPOSITE: Readonly<Record<string, readonly (IocType | null)[]>> = {
  'filename|md5': ['filename', 'md5'],
  'filename|sha1': ['filename', 'sha1'],
  'filename|sha256': ['filename', 'sha256'],
  'filename|sha512': ['filename', 'sha512'],
  'domain|ip': ['domain', 'ip'],
  'ip-dst|port': ['ip', null],
  'ip-src|port': ['ip', null],
  'hostname|port': ['domain', null],
};

/**
 * MISP event JSON as feeds and exports serve it: `{"Event": {...}}`, a REST search result
 * `{"response": [{"Event": {...}}]}`, or a bare event. Attributes at the event level and inside
 * objects become indicators tagged with the event's and the attribute's tags; the event `info`
 * and the attribute comment become the description.
 */
export function parseMispEvent(text: string, options: IocMispOptions): IocImport {
  const file = options.source;
  const root: JsonLocation = { file, path: '$' };
  const doc = expectObject(parseJsonText(text, file), root);
  const events: { event: Record<string, unknown>; at: JsonLocation }[] = [];
  if (doc.response !== undefined) {
    const responseAt = child(root, 'response');
    for (const [index, item] of expectArray(doc.response, responseAt).entries()) {
      const itemAt = child(responseAt, index);
      const eventAt = child(itemAt, 'Event');
      events.push({ event: expectObject(expectObject(item, itemAt).Event, eventAt), at: eventAt });
    }
  } else if (doc.Event !== undefined) {
    events.push({ event: expectObject(doc.Event, child(root, 'Event')), at: child(root, 'Event') });
  } else if (doc.Attribute !== undefined) {
    events.push({ event: doc, at: root });
  } else {
    throw malformed(
      root,
      'expected a MISP event ({"Event": ...}, {"response": [...]} or an event with "Attribute")',
    );
  }

  const collector = new IocCollector(options);
  for (const { event, at } of events) {
    const eventTags = tagNames(event.Tag);
    const info = typeof event.info === 'string' ? event.info : undefined;
    const attributes: { attribute: unknown; at: JsonLocation }[] = [];
    const attributesAt = child(at, 'Attribute');
    for (const [index, attribute] of expectArray(event.Attribute ?? [], attributesAt).entries()) {
      attributes.push({ attribute, at: child(attributesAt, index) });
    }
    const objectsAt = child(at, 'Object');
    for (const [index, object] of expectArray(event.Object ?? [], objectsAt).entries()) {
      const objectAt = child(objectsAt, index);
      const inner = child(objectAt, 'Attribute');
      for (const [j, attribute] of expectArray(
        expectObject(object, objectAt).Attribute ?? [],
        inner,
      ).entries()) {
        attributes.push({ attribute, at: child(inner, j) });
      }
    }
    for (const { attribute, at: attributeAt } of attributes) {
      const where = { location: attributeAt.path, path: attributeAt.path };
      if (!isRecord(attribute) || typeof attribute.type !== 'string' || typeof attribute.value !== 'string') {
        collector.reject(where, 'attribute needs a string "type" and "value"');
        continue;
      }
      const { type, value } = attribute as { type: string; value: string };
      if (attribute.to_ids === false && options.includeNonIds !== true) {
        collector.reject(
          { ...where, value },
          `to_ids is false (MISP marks ${type} as context, not for detection)`,
        );
        continue;
      }
      const single = SINGLE[type];
      const composite = COMPOSITE[type];
      if (single === undefined && composite === undefined) {
        collector.reject({ ...where, value }, `MISP type ${type} is not an indicator type we match`);
        continue;
      }
      const comment =
        typeof attribute.comment === 'string' && attribute.comment !== '' ? attribute.comment : undefined;
      const description = [info, comment].filter((part) => part !== undefined).join(' — ') || undefined;
      const base = {
        location: where.location,
        path: where.path,
        tags: [
          ...eventTags,
          ...tagNames(attribute.Tag),
          ...(typeof attribute.category === 'string' ? [`misp-category:${attribute.category}`] : []),
        ],
        ...(description !== undefined ? { description } : {}),
      };
      if (single !== undefined) {
        collector.add({ ...base, type: single, value });
        continue;
      }
      const parts = value.split('|');
      if (parts.length !== composite!.length) {
        collector.reject(
          { ...where, value },
          `composite ${type} needs ${composite!.length} parts separated by "|"`,
        );
        continue;
      }
      composite!.forEach((partType, k) => {
        if (partType !== null) collector.add({ ...base, type: partType, value: parts[k]! });
      });
    }
  }
  return collector.result();
}

function tagNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((tag) => (isRecord(tag) && typeof tag.name === 'string' ? [tag.name] : []));
}
