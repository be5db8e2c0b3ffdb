/**
 * The layer boundaries of DESIGN.md, checked in CI:
 * formats/ parse bytes (no fs, no store); analyzers/ produce facts (no rules); rules/ never parse
 * bytes; cli/ and server/ are thin shells over pipeline/.
 */
module.exports = {
  forbidden: [
    {
      name: 'formats-are-pure',
      comment: 'formats/ parses bytes only: no file system, network, store or higher layer',
      severity: 'error',
      from: { path: '^src/formats/' },
      to: {
        path: [
          '^node:fs',
          '^fs$',
          '^node:net',
          '^node:http',
          '^src/(store|pipeline|cli|server|artifact|analyzers|rules|report)/',
        ],
        dependencyTypes: ['core', 'local', 'npm'],
      },
    },
    {
      name: 'core-is-the-bottom',
      comment: 'core/ is the shared vocabulary and depends on no other layer',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'analyzers-do-not-judge',
      comment: 'analyzers/ produce facts, never findings: they may not use rules/',
      severity: 'error',
      from: { path: '^src/analyzers/' },
      to: { path: '^src/(rules|pipeline|cli|server|store|report)/' },
    },
    {
      name: 'rules-do-not-parse',
      comment: 'rules/ judge facts and diffs; they never parse bytes',
      severity: 'error',
      from: { path: '^src/rules/' },
      to: { path: '^src/(formats|artifact|cli|server|store)/' },
    },
    {
      name: 'pipeline-below-shells',
      comment: 'pipeline/ is called by cli/ and server/, never the other way',
      severity: 'error',
      from: { path: '^src/(?!cli/|server/)' },
      to: { path: '^src/(cli|server)/' },
    },
    {
      name: 'store-is-storage',
      comment: 'store/ keeps records; it never runs the pipeline, the queue or the shells',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(pipeline|jobs|server|cli|artifact|analyzers|rules|formats)/' },
    },
    {
      name: 'jobs-below-shells',
      comment: 'jobs/ run pipeline use cases; the server and the CLI start them, never the reverse',
      severity: 'error',
      from: { path: '^src/jobs/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
