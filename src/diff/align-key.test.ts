import { describe, expect, it } from 'vitest';
import type { NodePath } from '../core/node-path.js';
import { alignKey, withoutVersions } from './align-key.js';

const path = (value: string) => value as NodePath;

describe('when two releases name the same file differently', () => {
  it('drops version runs from names but keeps the rest of the name', () => {
    expect(withoutVersions('ExampleDesk-1.0.1.zip')).toBe('ExampleDesk.zip');
    expect(withoutVersions('ExampleDesk-1.0.2.zip')).toBe('ExampleDesk.zip');
    expect(withoutVersions('left-pad-1.3.0.tgz')).toBe('left-pad.tgz');
    expect(withoutVersions('app_v18.12.416-beta.1.msi')).toBe('app.msi');
    expect(withoutVersions('ffmpeg.dll')).toBe('ffmpeg.dll');
    expect(withoutVersions('d3dcompiler_47.dll')).toBe('d3dcompiler_47.dll');
  });

  it('gives the same key to the same file of two versioned archives', () => {
    expect(alignKey(path('ExampleDesk-1.0.1.zip!/app/ffmpeg.dll'), 'ExampleDesk-1.0.1.zip')).toBe(
      alignKey(path('ExampleDesk-1.0.2.zip!/app/ffmpeg.dll'), 'ExampleDesk-1.0.2.zip'),
    );
    expect(alignKey(path('ExampleDesk-1.0.2.zip'), 'ExampleDesk-1.0.2.zip')).toBe('<root>');
  });

  it('aligns a tarball package/ tree with the same package as a folder', () => {
    expect(alignKey(path('chalk-5.6.0.tgz!/package/index.js'), 'chalk-5.6.0.tgz')).toBe(
      alignKey(path('chalk-5.6.1/index.js'), 'chalk-5.6.1'),
    );
  });

  it('keeps different files apart', () => {
    expect(alignKey(path('a.zip!/lib/x.js'), 'a.zip')).not.toBe(alignKey(path('a.zip!/lib/y.js'), 'a.zip'));
    expect(alignKey(path('base/lib/x.js'), 'base')).not.toBe(alignKey(path('base/x.js'), 'base'));
  });
});
