import { describe, expect, it } from 'vitest';
import { resolveDirectories, resolveFiles, resolveMedia } from './install-layout.js';

const directories = [
  { Directory: 'TARGETDIR', Directory_Parent: null, DefaultDir: 'SourceDir' },
  { Directory: 'ProgramFilesFolder', Directory_Parent: 'TARGETDIR', DefaultDir: '.' },
  { Directory: 'INSTALLDIR', Directory_Parent: 'ProgramFilesFolder', DefaultDir: 'EXAMPL~1|ExampleDesk:SRC' },
  { Directory: 'SAMEDIR', Directory_Parent: 'INSTALLDIR', DefaultDir: '.' },
  { Directory: 'BIN', Directory_Parent: 'SAMEDIR', DefaultDir: 'bin' },
];

describe('when the Directory table is resolved', () => {
  it('joins target long names up to the root, naming standard folders by their key', () => {
    const folders = resolveDirectories(directories);
    expect(folders.get('TARGETDIR')).toBe('');
    expect(folders.get('INSTALLDIR')).toBe('ProgramFilesFolder/ExampleDesk');
    expect(folders.get('SAMEDIR')).toBe('ProgramFilesFolder/ExampleDesk'); // `.`: the parent's folder
    expect(folders.get('BIN')).toBe('ProgramFilesFolder/ExampleDesk/bin');
  });

  it('gives a typed error for a parent loop instead of walking for ever', () => {
    const loop = [
      { Directory: 'A', Directory_Parent: 'B', DefaultDir: 'a' },
      { Directory: 'B', Directory_Parent: 'A', DefaultDir: 'b' },
    ];
    expect(() => resolveDirectories(loop)).toThrow(expect.objectContaining({ code: 'E_FORMAT_MALFORMED' }));
  });
});

describe('when files are matched to media', () => {
  it('takes the first medium whose LastSequence reaches the file, and the long file name', () => {
    const media = resolveMedia([
      { DiskId: 2, LastSequence: 10, Cabinet: 'second.cab' },
      { DiskId: 1, LastSequence: 3, Cabinet: '#first.cab' },
    ]);
    const files = resolveFiles(
      [
        { File: 'f1', Component_: 'C', FileName: 'FFMPEG~1.DLL|ffmpeg.dll', FileSize: 10, Sequence: 2 },
        { File: 'f2', Component_: 'C', FileName: 'readme.txt', FileSize: 5, Sequence: 7 },
      ],
      [{ Component: 'C', Directory_: 'BIN' }],
      directories,
      media,
    );
    expect(files.map((file) => [file.installPath, file.media?.cabinet, file.media?.embeddedStream])).toEqual([
      ['ProgramFilesFolder/ExampleDesk/bin/ffmpeg.dll', '#first.cab', 'first.cab'],
      ['ProgramFilesFolder/ExampleDesk/bin/readme.txt', 'second.cab', undefined],
    ]);
  });
});
