import {
  child,
  expectArray,
  expectObject,
  expectString,
  isRecord,
  type JsonLocation,
  malformed,
  optionalArray,
  optionalString,
  optionalStringArray,
  parseJsonText,
} from '../json-shape.js';
import { digestFromHex, digestFromSri } from './digests.js';
import {
  OSV_EVENT_KINDS,
  OSV_RANGE_TYPES,
  type OsvAffected,
  type OsvDigest,
  type OsvEvent,
  type OsvEventKind,
  type OsvPackage,
  type OsvRange,
  type OsvRangeType,
  type OsvRecord,
  type OsvReference,
  type OsvSeverity,
} from './types.js';

/**
 * Validates one OSV record and returns the typed form. Throws `E_INTEL_MALFORMED` naming the file
 * and the JSON path of the first problem. Checks what matching relies on (id, modified, affected,
 * ranges and their events); ignores fields it does not use.
 */
export function parseOsvRecord(value: unknown, origin: string): OsvRecord {
  const root: JsonLocation = { file: origin, path: '$' };
  const doc = expectObject(value, root);
  const id = expectString(doc.id, child(root, 'id'));
  if (id.trim() === '') throw malformed(child(root, 'id'), 'id is empty');
  const modified = expectString(doc.modified, child(root, 'modified'));
  const withdrawn = optionalString(doc.withdrawn, child(root, 'withdrawn'));
  if (withdrawn !== undefined && Number.isNaN(Date.parse(withdrawn))) {
    throw malformed(child(root, 'withdrawn'), `not an RFC 3339 time: ${JSON.stringify(withdrawn)}`);
  }
  const databaseSpecific = optionalObject(doc.database_specific, child(root, 'database_specific'));
  const affectedAt = child(root, 'affected');
  const affected = optionalArray(doc.affected, affectedAt).map((item, index) =>
    parseAffected(item, child(affectedAt, index), databaseSpecific),
  );
  const record: OsvRecord = {
    id,
    modified,
    aliases: optionalStringArray(doc.aliases, child(root, 'aliases')),
    severity: parseSeverity(doc.severity, child(root, 'severity')),
    affected,
    references: parseReferences(doc.references, child(root, 'references')),
    origin,
  };
  return withOptional(record, {
    published: optionalString(doc.published, child(root, 'published')),
    withdrawn,
    schemaVersion: optionalString(doc.schema_version, child(root, 'schema_version')),
    summary: optionalString(doc.summary, child(root, 'summary')),
    details: optionalString(doc.details, child(root, 'details')),
    databaseSpecific,
  });
}

/** Parses the text of one OSV JSON file. */
export function parseOsvJson(text: string, origin: string): OsvRecord {
  return parseOsvRecord(parseJsonText(text, origin), origin);
}

function parseAffected(
  value: unknown,
  at: JsonLocation,
  recordSpecific: Readonly<Record<string, unknown>> | undefined,
): OsvAffected {
  const entry = expectObject(value, at);
  const pkg = entry.package === undefined ? undefined : parsePackage(entry.package, child(at, 'package'));
  const rangesAt = child(at, 'ranges');
  const ranges = optionalArray(entry.ranges, rangesAt).map((item, index) =>
    parseRange(item, child(rangesAt, index)),
  );
  const versions = optionalStringArray(entry.versions, child(at, 'versions'));
  const databaseSpecific = optionalObject(entry.database_specific, child(at, 'database_specific'));
  const digests = [
    ...readPackageIntegrity(databaseSpecific, child(at, 'database_specific')),
    // Some producers put indicators at the record level; they apply to every affected package.
    ...readPackageIntegrity(recordSpecific, { file: at.file, path: '$.database_specific' }),
  ];
  const affected: OsvAffected = { ranges, versions, digests };
  return withOptional(affected, { package: pkg, databaseSpecific });
}

function parsePackage(value: unknown, at: JsonLocation): OsvPackage {
  const pkg = expectObject(value, at);
  const ecosystem = expectString(pkg.ecosystem, child(at, 'ecosystem'));
  const name = expectString(pkg.name, child(at, 'name'));
  if (name === '') throw malformed(child(at, 'name'), 'package name is empty');
  return withOptional({ ecosystem, name } as OsvPackage, {
    purl: optionalString(pkg.purl, child(at, 'purl')),
  });
}

function parseRange(value: unknown, at: JsonLocation): OsvRange {
  const range = expectObject(value, at);
  const type = expectString(range.type, child(at, 'type'));
  if (!(OSV_RANGE_TYPES as readonly string[]).includes(type)) {
    throw malformed(
      child(at, 'type'),
      `unknown range type ${JSON.stringify(type)} (expected ${OSV_RANGE_TYPES.join(', ')})`,
    );
  }
  const eventsAt = child(at, 'events');
  const events = expectArray(range.events, eventsAt).map((item, index) =>
    parseEvent(item, child(eventsAt, index)),
  );
  if (!events.some((event) => event.kind === 'introduced')) {
    throw malformed(eventsAt, 'a range needs at least one "introduced" event');
  }
  if (events.some((e) => e.kind === 'fixed') && events.some((e) => e.kind === 'last_affected')) {
    // The schema forbids mixing them; evaluating both would silently pick one meaning.
    throw malformed(eventsAt, 'a range may use "fixed" or "last_affected", not both');
  }
  const repo = optionalString(range.repo, child(at, 'repo'));
  return withOptional({ type: type as OsvRangeType, events } as OsvRange, { repo });
}

function parseEvent(value: unknown, at: JsonLocation): OsvEvent {
  const event = expectObject(value, at);
  const kinds = Object.keys(event).filter((key): key is OsvEventKind =>
    (OSV_EVENT_KINDS as readonly string[]).includes(key),
  );
  if (kinds.length !== 1) {
    throw malformed(
      at,
      kinds.length === 0
        ? `an event needs one of ${OSV_EVENT_KINDS.join(', ')}`
        : `an event may hold only one of ${OSV_EVENT_KINDS.join(', ')}; found ${kinds.join(' and ')}`,
    );
  }
  const kind = kinds[0]!;
  const version = expectString(event[kind], child(at, kind));
  if (version === '') throw malformed(child(at, kind), 'empty version');
  return { kind, version };
}

function parseSeverity(value: unknown, at: JsonLocation): OsvSeverity[] {
  return optionalArray(value, at).map((item, index) => {
    const itemAt = child(at, index);
    const severity = expectObject(item, itemAt);
    return {
      type: expectString(severity.type, child(itemAt, 'type')),
      score: expectString(severity.score, child(itemAt, 'score')),
    };
  });
}

function parseReferences(value: unknown, at: JsonLocation): OsvReference[] {
  return optionalArray(value, at).map((item, index) => {
    const itemAt = child(at, index);
    const reference = expectObject(item, itemAt);
    return {
      type: expectString(reference.type, child(itemAt, 'type')),
      url: expectString(reference.url, child(itemAt, 'url')),
    };
  });
}

function optionalObject(value: unknown, at: JsonLocation): Readonly<Record<string, unknown>> | undefined {
  return value === undefined || value === null ? undefined : expectObject(value, at);
}

/**
 * `database_specific.indicators.package_integrity[]`: `{filename, hashes: {sha1, sha256, sha512_sri}}`
 * as ossf/malicious-packages writes it. Malformed digests are errors: a digest we silently drop
 * is a match we silently miss.
 */
function readPackageIntegrity(
  specific: Readonly<Record<string, unknown>> | undefined,
  at: JsonLocation,
): OsvDigest[] {
  if (specific === undefined || !isRecord(specific.indicators)) return [];
  const listAt = child(child(at, 'indicators'), 'package_integrity');
  const digests: OsvDigest[] = [];
  optionalArray(specific.indicators.package_integrity, listAt).forEach((item, index) => {
    const itemAt = child(listAt, index);
    const entry = expectObject(item, itemAt);
    const filename = optionalString(entry.filename, child(itemAt, 'filename'));
    const hashesAt = child(itemAt, 'hashes');
    const hashes = expectObject(entry.hashes, hashesAt);
    for (const [key, raw] of Object.entries(hashes)) {
      const keyAt = child(hashesAt, key);
      const text = expectString(raw, keyAt);
      const digest = key.endsWith('_sri') ? digestFromSri(text) : digestFromHex(key, text);
      if (digest === undefined) throw malformed(keyAt, `not a usable ${key} digest: ${JSON.stringify(text)}`);
      digests.push(filename === undefined ? digest : { ...digest, filename });
    }
  });
  return digests;
}

/** Adds the optional fields that are defined, so records carry no `undefined`-valued keys. */
function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as T;
}
