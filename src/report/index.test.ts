import { describe, expect, it } from 'vitest';
import { isCountersignError } from '../core/errors.js';
import { isReportFormat, REPORT_FORMATS, type ReportFormat, renderReport } from './index.js';
import { renderJson } from './json.js';
import { releaseZipResult } from './test-results.js';
import { renderText } from './text.js';

describe('when a report is asked for by format name', () => {
  const result = releaseZipResult();

  it('renders text with its options', () => {
    expect(renderReport(result, 'text', { tree: true })).toBe(renderText(result, { tree: true }));
    expect(renderReport(result, 'text')).toBe(renderText(result));
  });

  it('renders JSON', () => {
    expect(renderReport(result, 'json')).toBe(renderJson(result));
  });

  it('renders CycloneDX with the given serial number', () => {
    const serialNumber = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';
    const sbom = JSON.parse(renderReport(result, 'cyclonedx', { serialNumber }));
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber });
  });

  it('knows its formats', () => {
    expect(REPORT_FORMATS).toEqual(['text', 'json', 'cyclonedx']);
    expect(REPORT_FORMATS.every(isReportFormat)).toBe(true);
    expect(isReportFormat('sarif')).toBe(false);
  });

  it('refuses an unknown format from an untyped caller with a typed error', () => {
    let caught: unknown;
    try {
      renderReport(result, 'sarif' as ReportFormat);
    } catch (error) {
      caught = error;
    }
    expect(isCountersignError(caught) && caught.code).toBe('E_USAGE');
  });
});
