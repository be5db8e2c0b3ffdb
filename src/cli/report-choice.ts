/**
 * The report formats every command shares beyond its own (text, json, cyclonedx): SARIF 2.1.0
 * for code-scanning dashboards and CI, and the single-file HTML report for people.
 */
import { Option } from 'commander';
import type { ScanResult } from '../core/scan-result.js';
import type { HuntResult } from '../pipeline/hunt.js';
import type { VetResult } from '../pipeline/vet.js';
import { renderHuntHtml } from '../report/html/hunt-html.js';
import { renderScanHtml } from '../report/html/scan-html.js';
import { renderVetHtml } from '../report/html/vet-html.js';
import { renderSarif, toHuntSarif, toScanSarif, toVetSarif } from '../report/sarif.js';
import { renderVetJson } from '../report/vet-json.js';

export const VET_FORMATS = ['text', 'json', 'sarif', 'html'] as const;
export type VetFormat = (typeof VET_FORMATS)[number];

/** `-f, --format` of vet and diff (`--json` stays the short form of `-f json`). */
export function vetFormatOption(): Option {
  return new Option('-f, --format <format>', 'report format').choices([...VET_FORMATS]).default('text');
}

/** The vet/diff report in a format; `text` is the command's own (vet and diff print differently). */
export function renderVetReport(result: VetResult, format: VetFormat, text: () => string): string {
  switch (format) {
    case 'json':
      return renderVetJson(result);
    case 'sarif':
      return renderSarif(toVetSarif(result));
    case 'html':
      return renderVetHtml(result);
    default:
      return text();
  }
}

/** SARIF or HTML of a scan, or undefined for the formats `renderReport` handles. */
export function renderScanExtra(result: ScanResult, format: string): string | undefined {
  if (format === 'sarif') return renderSarif(toScanSarif(result));
  if (format === 'html') return renderScanHtml(result);
  return undefined;
}

/** SARIF or HTML of a hunt, or undefined for text and JSON, which the hunt command writes itself. */
export function renderHuntExtra(result: HuntResult, format: string): string | undefined {
  if (format === 'sarif') return renderSarif(toHuntSarif(result));
  if (format === 'html') return renderHuntHtml(result);
  return undefined;
}
