import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MSI_FIXTURE_DIR } from '../../../test/fixtures/msi/reference.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { buildTree } from '../engine.js';
import { defaultUnpackers } from './index.js';

async function tree(name: string) {
  return buildTree([join(MSI_FIXTURE_DIR, name)], {
    limits: DEFAULT_LIMITS,
    unpackers: defaultUnpackers(),
    analyzers: [],
    digestAlgorithms: ['sha256'],
  });
}

describe('when a scan meets an MSI', () => {
  it('addresses its files by installed path under the MSI, with the signature stream beside them', async () => {
    const result = await tree('exampledesk-signed.msi');
    const paths = result.nodes.map((node) => node.path);
    expect(paths).toContain('exampledesk-signed.msi!/ProgramFilesFolder/ExampleDesk/ffmpeg.dll');
    expect(paths).toContain(
      'exampledesk-signed.msi!/ProgramFilesFolder/ExampleDesk/resources/app-config.json',
    );
    expect(paths).toContain('exampledesk-signed.msi!/[5]DigitalSignature');
    expect(result.gaps).toEqual([]);
  });

  it('records the files of an external cabinet as coverage gaps', async () => {
    const result = await tree('exampledesk-external.msi');
    const gap = result.gaps.find((item) => item.node.endsWith('ffmpeg.dll'));
    expect(gap?.code).toBe('E_ARCHIVE_EXTERNAL_CONTENT');
    expect(gap?.plugin).toBe('unpacker/msi');
  });
});

describe('when a scan meets a bare cabinet', () => {
  it('unpacks it with unpacker/cab', async () => {
    const result = await tree('lzx.cab');
    const root = result.nodes.find((node) => node.path === 'lzx.cab');
    expect(root?.unpackedBy).toBe('unpacker/cab');
    expect(result.nodes.map((node) => node.path)).toContain('lzx.cab!/readme.txt');
  });
});
