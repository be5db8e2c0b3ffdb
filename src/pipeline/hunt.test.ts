import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { compileIocIndex } from '../intel/ioc/match.js';
import { parseIocText } from '../intel/ioc/parse-text.js';
import { compileYaraSources, readYaraSources } from '../intel/yara/compile.js';
import { globToRegExp, type HuntResult, huntFiles, huntLogFiles } from './hunt.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/hunt/', import.meta.url));
const digest = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

/** A seeded generator, so a failing tree can be made again. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

let root: string;
let tree: string;
let outside: string;
const planted = {
  sha256: Buffer.from('planted content for a sha256 indicator\n'),
  md5: Buffer.from('planted content for an md5 indicator\n'),
  sha1: Buffer.from('planted content for a sha1 indicator\n'),
  inZip: Buffer.from('planted content inside an archive\n'),
  outside: Buffer.from('planted content reachable only through a link\n'),
};

async function put(path: string, bytes: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

async function zip(path: string, entries: Record<string, Buffer>): Promise<void> {
  const file = new yazl.ZipFile();
  for (const [name, bytes] of Object.entries(entries)) file.addBuffer(bytes, name);
  file.end();
  await new Promise<void>((done, fail) => {
    file.outputStream.pipe(createWriteStream(path)).on('close', done).on('error', fail);
  });
}

const iocText = () =>
  [
    '# planted hashes',
    digest('sha256', planted.sha256),
    digest('md5', planted.md5),
    digest('sha1', planted.sha1),
    digest('sha256', planted.inZip),
    digest('sha256', planted.outside),
    '# never planted',
    'f'.repeat(64),
    'e'.repeat(32),
    'evil.invalid',
    'stage.bad2.invalid',
    'http://cdn.bad.invalid/p.bin',
    '203.0.113.66',
  ].join('\n');

let iocs: ReturnType<typeof compileIocIndex>;
let yara: ReturnType<typeof compileYaraSources>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'countersign-hunt-'));
  tree = join(root, 'tree');
  outside = join(root, 'outside');
  const random = prng(6);
  for (let i = 0; i < 300; i += 1) {
    const folder = ['src', 'lib', 'assets/img', 'docs', 'deep/a/b/c'][Math.floor(random() * 5)]!;
    const bytes = Buffer.from(
      Array.from({ length: 16 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256)),
    );
    await put(join(tree, folder, `file-${i}.bin`), bytes);
  }
  await put(join(tree, 'tools/updater.bin'), planted.sha256);
  await put(join(tree, 'cache/blob.dat'), planted.md5);
  await put(join(tree, 'old/z.tmp'), planted.sha1);
  await put(join(tree, 'ProgramData/TPM/winscard.dll'), 'not a dll\n');
  await put(join(tree, 'downloads/3CXDesktopApp-18.12.407.msi'), 'not an installer\n');
  await put(join(tree, 'bin/helper.exe'), await readFile(`${fixtures}yara-samples/gopuram-marker.exe`));
  await put(
    join(tree, 'reg/planted.TxR.0.regtrans-ms'),
    await readFile(`${fixtures}yara-samples/planted.TxR.0.regtrans-ms`),
  );
  await mkdir(join(tree, 'archives'), { recursive: true });
  await zip(join(tree, 'archives/bundle.zip'), {
    'inner/payload.bin': planted.inZip,
    'inner/readme.txt': Buffer.from('hi'),
  });
  // Near-misses: a name that only starts like an indicator, content one byte off, a marker without MZ.
  await put(join(tree, 'ProgramData/TPM/winscard.dll.bak'), 'backup\n');
  await put(join(tree, 'tools/updater-copy.bin'), Buffer.concat([planted.sha256, Buffer.from('x')]));
  await put(join(tree, 'notes/rc4-key.txt'), await readFile(`${fixtures}yara-samples/rc4-key.txt`));
  // A link out of the tree to a listed file: never followed.
  await put(join(outside, 'secret.bin'), planted.outside);
  await symlink(join(outside, 'secret.bin'), join(tree, 'link-out.bin'));
  iocs = compileIocIndex([
    ...parseIocText(iocText(), { source: 'planted-list' }).indicators,
    ...parseIocText('winscard.dll\n', { source: 'planted-names', type: 'filename' }).indicators,
    ...parseIocText('\\\\3CXDesktopApp-18\\.12\\.407\\.msi$\n', {
      source: 'planted-paths',
      type: 'path-pattern',
    }).indicators,
  ]);
  yara = compileYaraSources(await readYaraSources([`${fixtures}yara`]));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const found = (result: HuntResult) =>
  result.hits
    .map(
      (hit) =>
        `${hit.indicator.type} ${relative(tree, hit.where.file)}${hit.where.node?.includes('!/') ? `!/${hit.where.node.split('!/').slice(1).join('!/')}` : ''}`,
    )
    .sort();

describe('when a generated tree with planted indicators is hunted', () => {
  it('finds every planted one and nothing else', async () => {
    const result = await huntFiles([tree], { iocs, yara });
    expect(found(result)).toEqual(
      [
        'sha256 tools/updater.bin',
        'md5 cache/blob.dat',
        'sha1 old/z.tmp',
        'filename ProgramData/TPM/winscard.dll',
        'path-pattern downloads/3CXDesktopApp-18.12.407.msi',
        'yara bin/helper.exe',
        'yara reg/planted.TxR.0.regtrans-ms',
      ].sort(),
    );
    expect(result.stats.files).toBeGreaterThan(300);
    const yaraHit = result.hits.find((hit) => hit.indicator.value === 'MAL_Gopuram_Apr23');
    expect(yaraHit?.where.offset).toBe(
      (await readFile(join(tree, 'bin/helper.exe'))).indexOf('%s.TxR.0.regtrans-ms'),
    );
    expect(result.summary.every((row) => row.hits === 1 && row.files === 1)).toBe(true);
  }, 60_000);

  it('looks inside archives with --deep, and names the member', async () => {
    const result = await huntFiles([tree], { iocs }, { deep: true });
    expect(found(result)).toContain('sha256 archives/bundle.zip!/inner/payload.bin');
    expect(found(result)).toHaveLength(6);
  }, 60_000);

  it('applies include and exclude globs', async () => {
    const onlyTools = await huntFiles([tree], { iocs, yara }, { include: ['tools/**'] });
    expect(found(onlyTools)).toEqual(['sha256 tools/updater.bin']);
    const noExe = await huntFiles([tree], { iocs, yara }, { exclude: ['*.exe', 'reg/**'] });
    expect(found(noExe).filter((hit) => hit.startsWith('yara'))).toEqual([]);
    expect(found(noExe)).toHaveLength(5);
  }, 60_000);

  it('refuses to hunt with nothing to hunt for', async () => {
    await expect(huntFiles([tree], {})).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

describe('when globs are compiled', () => {
  it('keeps * within a folder and lets ** cross folders', () => {
    expect(globToRegExp('*.exe').test('a.exe')).toBe(true);
    expect(globToRegExp('*.exe').test('x/a.exe')).toBe(false);
    expect(globToRegExp('**/*.exe').test('x/y/a.exe')).toBe(true);
    expect(globToRegExp('**/*.exe').test('a.exe')).toBe(true);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
  });
});

describe('when generated logs with planted indicators are hunted', () => {
  const logsDir = () => join(root, 'logs');
  const zeekHeader = (path: string, fields: string[]) =>
    [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      `#path\t${path}`,
      `#fields\t${fields.join('\t')}`,
    ].join('\n');
  const planted: string[] = [];

  beforeAll(async () => {
    await mkdir(logsDir(), { recursive: true });
    const random = prng(9);
    const benign = () => `host${Math.floor(random() * 1000)}.example.org`;
    const dnsFields = [
      'ts',
      'uid',
      'id.orig_h',
      'id.orig_p',
      'id.resp_h',
      'id.resp_p',
      'proto',
      'query',
      'answers',
    ];
    const dns: string[] = zeekHeader('dns', dnsFields).split('\n');
    for (let i = 0; i < 200; i += 1) {
      let query = benign();
      let answers = `192.0.2.${i % 250},${benign()}`;
      if (i === 50) {
        query = 'c2.evil.invalid';
        planted.push(`dns.log:${dns.length + 1} evil.invalid`);
      }
      if (i === 120) {
        answers = '203.0.113.66';
        planted.push(`dns.log:${dns.length + 1} 203.0.113.66`);
      }
      dns.push(
        [`${1680000000 + i}.5`, `C${i}`, '10.0.0.5', '5353', '10.0.0.1', '53', 'udp', query, answers].join(
          '\t',
        ),
      );
    }
    await writeFile(join(logsDir(), 'dns.log'), `${dns.join('\n')}\n`);

    const httpFields = [
      'ts',
      'uid',
      'id.orig_h',
      'id.orig_p',
      'id.resp_h',
      'id.resp_p',
      'method',
      'host',
      'uri',
      'referrer',
    ];
    const http: string[] = zeekHeader('http', httpFields).split('\n');
    for (let i = 0; i < 100; i += 1) {
      let [host, uri] = [benign(), `/page/${i}`];
      if (i === 70) {
        [host, uri] = ['cdn.bad.invalid', '/p.bin'];
        planted.push(`http.log:${http.length + 1} http://cdn.bad.invalid/p.bin`);
      }
      http.push(
        [
          `${1680000000 + i}.5`,
          `H${i}`,
          '10.0.0.6',
          '40000',
          '198.51.100.7',
          '80',
          'GET',
          host,
          uri,
          '-',
        ].join('\t'),
      );
    }
    await writeFile(join(logsDir(), 'http.log'), `${http.join('\n')}\n`);

    const squid: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      let [method, url] = ['GET', `http://${benign()}/x?i=${i}`];
      if (i === 10) {
        url = 'http://www.evil.invalid/stage2';
        planted.push(`access.log:${squid.length + 1} evil.invalid`);
      }
      if (i === 90) {
        [method, url] = ['CONNECT', 'stage.bad2.invalid:443'];
        planted.push(`access.log:${squid.length + 1} stage.bad2.invalid`);
      }
      squid.push(
        `${1680000000 + i}.123    42 10.0.0.7 TCP_MISS/200 1234 ${method} ${url} - HIER_DIRECT/198.51.100.9 text/html`,
      );
    }
    await writeFile(join(logsDir(), 'access.log'), `${squid.join('\n')}\n`);

    const jsonl = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({
        ts: `2023-03-30T10:00:${String(i).padStart(2, '0')}Z`,
        src_ip: '10.0.0.8',
        url: i === 33 ? 'https://evil.invalid/a' : `https://${benign()}/`,
      }),
    );
    planted.push('events.jsonl:34 evil.invalid');
    await writeFile(join(logsDir(), 'events.jsonl'), `${jsonl.join('\n')}\n`);
    const text = [
      'proxy denied host9.example.org',
      'resolved stage.bad2.invalid to 198.51.100.3',
      'all quiet',
    ];
    planted.push('notes.txt:2 stage.bad2.invalid');
    await writeFile(join(logsDir(), 'notes.txt'), `${text.join('\n')}\n`);
  });

  it('finds every planted one, with line, time and client, and nothing else', async () => {
    const files = ['dns.log', 'http.log', 'access.log', 'events.jsonl', 'notes.txt'].map((name) =>
      join(logsDir(), name),
    );
    const result = await huntLogFiles(files, iocs);
    expect(
      result.hits
        .map((hit) => `${relative(logsDir(), hit.where.file)}:${hit.where.line} ${hit.indicator.value}`)
        .sort(),
    ).toEqual([...planted].sort());
    const dnsHit = result.hits.find(
      (hit) => hit.where.file.endsWith('dns.log') && hit.indicator.value === 'evil.invalid',
    );
    expect(dnsHit).toMatchObject({
      how: 'subdomain',
      observed: 'c2.evil.invalid',
      where: { format: 'zeek', host: '10.0.0.5' },
    });
    expect(dnsHit?.where.time).toBe(new Date((1680000000 + 50.5) * 1000).toISOString());
    const squidHit = result.hits.find((hit) => hit.where.file.endsWith('access.log'));
    expect(squidHit?.where).toMatchObject({ format: 'squid', host: '10.0.0.7' });
    const jsonHit = result.hits.find((hit) => hit.where.format === 'jsonl');
    expect(jsonHit?.where).toMatchObject({ time: '2023-03-30T10:00:33.000Z', host: '10.0.0.8' });
  });

  it('reports nothing from the real Zeek and Squid samples, whose hosts are all benign', async () => {
    const real = [
      'zeek/dns-duplicate-responses.log',
      'zeek/dns-ipv6-frag.log',
      'zeek/http-wikipedia.log',
      'zeek/http-methods.log',
      'squid/squidview-example-access.log',
      'squid/fail2ban-test-squid-access.log',
    ].map((name) => `${fixtures}logs/${name}`);
    const result = await huntLogFiles(real, iocs);
    expect(result.hits).toEqual([]);
    expect(result.stats.lines).toBeGreaterThan(150);
  });

  it('finds a real sample host once it is an indicator, with its time', async () => {
    const index = compileIocIndex(
      parseIocText('upload.wikimedia.org\nslashdot.org\n', { source: 'probe' }).indicators,
    );
    const result = await huntLogFiles(
      [`${fixtures}logs/zeek/http-wikipedia.log`, `${fixtures}logs/squid/squidview-example-access.log`],
      index,
    );
    const wiki = result.hits.filter((hit) => hit.indicator.value === 'upload.wikimedia.org');
    expect(wiki.length).toBeGreaterThan(0);
    expect(wiki[0]?.where).toMatchObject({
      format: 'zeek',
      host: '141.142.220.118',
      time: '2011-03-18T19:06:08.916Z',
    });
    const slashdot = result.hits.filter((hit) => hit.indicator.value === 'slashdot.org');
    expect(slashdot[0]?.where).toMatchObject({ format: 'squid', line: 1, host: '127.0.0.1' });
  });
});

describe('when a log is one enormous line', () => {
  it('reads the start of it, bounded, and still finds an indicator there', async () => {
    const file = join(root, 'one-line.log');
    await writeFile(file, `GET http://www.evil.invalid/x ${'A'.repeat(3 * 1024 * 1024)}`);
    const result = await huntLogFiles([file], iocs);
    expect(result.hits.map((hit) => [hit.where.line, hit.indicator.value])).toEqual([[1, 'evil.invalid']]);
    expect(result.hits[0]?.where.snippet?.length).toBeLessThan(400);
  });
});
