/**
 * The closed vocabularies of the JSON report schema come from the code: detected types, error
 * codes, node flags, digests, severities. This module lists where each one lives in the schema so
 * that a test can check they agree, and so that, when the code gains a value, the schema can be
 * brought up to date with one command:
 *
 *   npx tsx src/report/schema-enums.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DETECTED_TYPES } from '../core/detected-type.js';
import { ERROR_CODES } from '../core/errors.js';
import { DIGEST_ALGORITHMS, NODE_FLAGS, SCAN_REPORT_SCHEMA_VERSION } from '../core/scan-result.js';
import { CONFIDENCES, SEVERITIES } from '../core/severity.js';

export const SCAN_REPORT_SCHEMA_URL = new URL('../../schemas/scan-report.schema.json', import.meta.url);

/** JSON-pointer-like paths (keys from the schema's root) of each `enum`, with its source values. */
export const SCHEMA_ENUMS: ReadonlyArray<{
  readonly at: readonly string[];
  readonly values: readonly string[];
}> = [
  { at: ['$defs', 'detectedType', 'enum'], values: DETECTED_TYPES },
  { at: ['$defs', 'errorCode', 'enum'], values: ERROR_CODES },
  { at: ['$defs', 'nodeFlag', 'enum'], values: NODE_FLAGS },
  { at: ['$defs', 'digestAlgorithm', 'enum'], values: DIGEST_ALGORITHMS },
  { at: ['$defs', 'finding', 'properties', 'severity', 'enum'], values: SEVERITIES },
  { at: ['$defs', 'finding', 'properties', 'confidence', 'enum'], values: CONFIDENCES },
];

type JsonObject = { [key: string]: unknown };

function parentOf(schema: JsonObject, at: readonly string[]): JsonObject {
  let cursor: unknown = schema;
  for (const key of at.slice(0, -1)) cursor = (cursor as JsonObject)[key];
  return cursor as JsonObject;
}

export function readSchemaEnum(schema: JsonObject, at: readonly string[]): unknown {
  return parentOf(schema, at)[at[at.length - 1]!];
}

/** Returns the schema with every listed enum and the version set from the code. */
export function syncSchema(schema: JsonObject): JsonObject {
  const copy = structuredClone(schema);
  for (const { at, values } of SCHEMA_ENUMS) parentOf(copy, at)[at[at.length - 1]!] = [...values];
  const properties = copy.properties as { schemaVersion: { const: string } };
  properties.schemaVersion.const = SCAN_REPORT_SCHEMA_VERSION;
  copy.$id = `urn:countersign:schema:scan-report:${SCAN_REPORT_SCHEMA_VERSION}`;
  return copy;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const schema = JSON.parse(readFileSync(SCAN_REPORT_SCHEMA_URL, 'utf8')) as JsonObject;
  writeFileSync(SCAN_REPORT_SCHEMA_URL, `${JSON.stringify(syncSchema(schema), null, 2)}\n`);
}
