/**
 * Report renderers by format name, for the CLI and the server. Each renderer is a pure function
 * of a ScanResult (plus options) to a string; none prints.
 */
import { CountersignError } from '../core/errors.js';
import type { ScanResult } from '../core/scan-result.js';
import { type CycloneDxOptions, renderCycloneDx } from './cyclonedx.js';
import { renderJson } from './json.js';
import { renderText, type TextReportOptions } from './text.js';

export { buildCycloneDxBom, type CycloneDxOptions, renderCycloneDx } from './cyclonedx.js';
export { renderJson, toReportJson } from './json.js';
export { renderText, type TextReportOptions } from './text.js';

export const REPORT_FORMATS = ['text', 'json', 'cyclonedx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/** The options of every format; each renderer reads only its own. */
export type ReportOptions = TextReportOptions & CycloneDxOptions;

export function renderReport(result: ScanResult, format: ReportFormat, options: ReportOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(result, options);
    case 'json':
      return renderJson(result);
    case 'cyclonedx':
      return renderCycloneDx(result, options);
    default: {
      // Reached only from untyped callers (a flag value passed through unchecked).
      const unknown: never = format;
      throw new CountersignError(
        'E_USAGE',
        `unknown report format ${JSON.stringify(unknown)}; expected one of ${REPORT_FORMATS.join(', ')}`,
      );
    }
  }
}
