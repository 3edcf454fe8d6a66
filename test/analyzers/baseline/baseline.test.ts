import { describe, expect, it } from 'vitest';
import {
  baselineAnalyzer,
  evaluateSshdConfig,
  isKnownSetuidPath,
  isRootUser,
  parseShadowRisks,
  MAX_SYMLINK_HOPS,
  pathDirs,
  resolveDir,
  resolveBaselineChecks,
} from '../../../core/src/analyzers/baseline/index.js';
import type { ImageContext } from '../../../core/src/analyzers/analyzer.js';
import type { EntryKind, ImageFile } from '../../../core/src/types/file.js';
import type { Finding } from '../../../core/src/types/finding.js';
import type { ImageConfig } from '../../../core/src/types/image.js';

function file(
  path: string,
  mode: number,
  kind: EntryKind = 'file',
  extra: Partial<ImageFile> = {},
): ImageFile {
  return { path, kind, mode, size: 10, uid: 0, gid: 0, layerDigest: 'sha256:l0', layerIndex: 0, ...extra };
}

async function analyze(
  files: ImageFile[],
  config: ImageConfig['config'] = { User: 'app' },
  checks?: string[],
) {
  const ctx: ImageContext = {
    image: {
      ref: 'x',
      configDigest: 'sha256:c',
      config: { config: { Healthcheck: { Test: ['CMD', 'true'] }, ...config } },
      layers: [],
    },
    files: new Map(files.map((f) => [f.path, f])),
    hidden: [],
    options: checks === undefined ? {} : { baseline: { checks } },
  };
  const r = await baselineAnalyzer.analyzeImage?.(ctx);
  return { findings: r?.findings ?? [], notes: r?.notes ?? [] };
}

const ids = (f: Finding[]): string[] => f.map((x) => x.id);

describe('baseline analyzer', () => {
  describe('required()', () => {
    it('buffers only /etc/shadow and the sshd configuration', () => {
      const h = (path: string, kind: EntryKind = 'file') =>
        baselineAnalyzer.required(path, file(path, 0o644, kind));
      expect(h('/etc/shadow')).toBe(true);
      expect(h('/etc/ssh/sshd_config')).toBe(true);
      expect(h('/etc/ssh/sshd_config.d/50-cloud.conf')).toBe(true);
      expect(h('/etc/passwd')).toBe(false);
      expect(h('/etc/ssh/ssh_config')).toBe(false);
      expect(h('/usr/local/bin/suidbash')).toBe(false);
      expect(h('/etc/shadow', 'symlink')).toBe(false);
    });
  });

  describe('root user', () => {
    it.each([
      [undefined, true],
      ['', true],
      ['root', true],
      ['0', true],
      ['0:0', true],
      ['root:wheel', true],
      ['1000', false],
      ['app:app', false],
      ['10001:0', false],
    ])('User %j → root %s', (user, root) => {
      expect(isRootUser(user)).toBe(root);
    });
  });

  describe('HEALTHCHECK', () => {
    it('flags an absent, inherited-empty or NONE healthcheck, not a CMD one', async () => {
      const run = async (hc: ImageConfig['config']) =>
        ids((await analyze([], { User: 'app', ...hc }, ['no-healthcheck'])).findings);
      expect(await run({ Healthcheck: { Test: ['NONE'] } })).toEqual(['PCS-BASELINE-NO-HEALTHCHECK']);
      expect(await run({ Healthcheck: { Test: [] } })).toEqual(['PCS-BASELINE-NO-HEALTHCHECK']);
      expect(await run({ Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/'] } })).toEqual([]);
    });
  });

  describe('setuid/setgid files', () => {
    it('reports files outside the known-good list, by mode bits, with the layer they are in', async () => {
      const { findings } = await analyze([
        file('/usr/bin/passwd', 0o4755),
        file('/bin/su', 0o4755), // non-merged /usr layout maps onto /usr/bin/su
        file('/usr/lib/x86_64-linux-gnu/utempter/utempter', 0o2755),
        file('/usr/local/bin/backdoor', 0o4755, 'file', { layerDigest: 'sha256:l1' }),
        file('/opt/tool', 0o2711, 'file', { gid: 50 }),
        file('/var/mail', 0o2775, 'dir'),
        file('/usr/local/bin/plain', 0o755),
      ]);
      expect(findings.map((f) => [f.location.path, f.location.layerDigest, f.severity, f.evidence])).toEqual([
        ['/opt/tool', 'sha256:l0', 'medium', 'mode 2711 uid 0 gid 50'],
        ['/usr/local/bin/backdoor', 'sha256:l1', 'high', 'mode 4755 uid 0 gid 0'],
      ]);
    });

    it('maps /bin, /sbin and /lib onto /usr for the known-good list', () => {
      expect(isKnownSetuidPath('/sbin/unix_chkpwd')).toBe(true);
      expect(isKnownSetuidPath('/usr/local/bin/su')).toBe(false);
    });
  });

  describe('/etc/shadow', () => {
    const shadow = [
      'root:*:19000:0:99999:7:::',
      'locked:!:19000::::::',
      'lockedhash:!$6$abc$def:19000::::::',
      'nopw::19000:0:99999:7:::',
      'md5:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/:19000::::::',
      'des:abJnggxhB/yWI:19000::::::',
      'sha512:$6$rounds=5000$salt$hash:19000::::::',
      'yescrypt:$y$j9T$salt$hash:19000::::::',
      '',
    ].join('\n');

    it('finds empty fields and DES/MD5 hashes with their lines, never printing a hash', () => {
      const risks = parseShadowRisks(shadow);
      expect(risks.map((r) => [r.user, r.line, r.kind])).toEqual([
        ['nopw', 4, 'empty'],
        ['md5', 5, 'md5'],
        ['des', 6, 'des'],
      ]);
      const text = JSON.stringify(risks);
      expect(text).not.toContain('qjXMvbEw8oaL');
      expect(text).not.toContain('abJnggxhB');
    });

    it('turns them into findings located in the shadow file', async () => {
      const { findings } = await analyze(
        [file('/etc/shadow', 0o640, 'file', { content: Buffer.from(shadow) })],
        { User: 'app' },
        ['shadow'],
      );
      expect(findings.map((f) => [f.id, f.location.line])).toEqual([
        ['PCS-BASELINE-EMPTY-PASSWORD', 4],
        ['PCS-BASELINE-WEAK-PASSWORD-HASH', 5],
        ['PCS-BASELINE-WEAK-PASSWORD-HASH', 6],
      ]);
    });
  });

  describe('sshd_config', () => {
    const cfg = (files: Record<string, string>) =>
      evaluateSshdConfig(
        '/etc/ssh/sshd_config',
        (p) => files[p],
        () => Object.keys(files),
      );

    it('takes the first value of a keyword, ignoring comments (also after a value)', () => {
      const { global } = cfg({
        '/etc/ssh/sshd_config':
          '# PermitRootLogin yes\nPermitRootLogin no # yes\npermitrootlogin yes\nPasswordAuthentication=yes\n',
      });
      expect(global.get('permitrootlogin')).toMatchObject({ value: 'no', line: 2 });
      expect(global.get('passwordauthentication')).toMatchObject({ value: 'yes', line: 4 });
    });

    it('reads Include files in place, sorted, so an earlier drop-in wins', () => {
      const { global } = cfg({
        '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n',
        '/etc/ssh/sshd_config.d/50-cloud.conf': 'PermitRootLogin yes\n',
        '/etc/ssh/sshd_config.d/99-late.conf': 'PermitRootLogin no\n',
      });
      expect(global.get('permitrootlogin')).toMatchObject({
        value: 'yes',
        path: '/etc/ssh/sshd_config.d/50-cloud.conf',
        line: 1,
      });
    });

    it('keeps settings inside Match blocks apart from the global ones', () => {
      const { global, matched } = cfg({
        '/etc/ssh/sshd_config':
          'PermitRootLogin no\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\nMatch all\nPasswordAuthentication no\n',
      });
      expect(global.get('permitrootlogin')?.value).toBe('no');
      expect(global.get('passwordauthentication')?.value).toBe('no');
      expect(matched).toEqual([
        {
          keyword: 'permitrootlogin',
          value: 'yes',
          path: '/etc/ssh/sshd_config',
          line: 3,
          match: 'Address 10.0.0.0/8',
        },
      ]);
    });

    it('stops at include cycles', () => {
      const { global } = cfg({ '/etc/ssh/sshd_config': 'Include sshd_config\nPermitRootLogin yes\n' });
      expect(global.get('permitrootlogin')?.value).toBe('yes');
    });

    it('reports yes settings as findings, naming a Match block', async () => {
      const sshd =
        'PermitRootLogin prohibit-password\nPermitEmptyPasswords yes\nMatch User admin\n PasswordAuthentication yes\n';
      const { findings } = await analyze(
        [file('/etc/ssh/sshd_config', 0o644, 'file', { content: Buffer.from(sshd) })],
        { User: 'app' },
        ['sshd'],
      );
      expect(findings.map((f) => [f.id, f.location.line, f.description])).toEqual([
        ['PCS-BASELINE-SSHD-PASSWORD-AUTH', 4, "PasswordAuthentication yes (inside 'Match User admin')"],
        ['PCS-BASELINE-SSHD-EMPTY-PASSWORDS', 2, 'PermitEmptyPasswords yes'],
      ]);
    });
  });

  describe('world-writable entries in PATH directories', () => {
    it('follows /bin -> usr/bin, honours the config PATH and skips symlinks and sticky dirs', async () => {
      const files = [
        file('/bin', 0o777, 'symlink', { linkname: 'usr/bin' }),
        file('/usr/bin', 0o755, 'dir'),
        file('/usr/bin/tool', 0o777),
        file('/usr/bin/ok', 0o755),
        file('/usr/bin/link', 0o777, 'symlink', { linkname: 'ok' }),
        file('/opt/app/bin', 0o777, 'dir'),
        file('/opt/app/bin/run', 0o666),
        file('/opt/sticky', 0o1777, 'dir'),
        file('/tmp/x', 0o777),
      ];
      const { findings } = await analyze(
        files,
        { User: 'app', Env: ['PATH=/bin:/opt/app/bin:/opt/sticky'] },
        ['world-writable-path'],
      );
      expect(findings.map((f) => [f.location.path, f.evidence])).toEqual([
        ['/opt/app/bin', 'mode 0777'],
        ['/opt/app/bin/run', 'mode 0666'],
        ['/usr/bin/tool', 'mode 0777'],
      ]);
    });

    it('notes a PATH directory caught in a symlink loop instead of checking a half-resolved path', async () => {
      const files = [
        file('/loop/a', 0o777, 'symlink', { linkname: '/loop/b' }),
        file('/loop/b', 0o777, 'symlink', { linkname: 'a' }),
        file('/usr/bin', 0o755, 'dir'),
        file('/usr/bin/tool', 0o777),
      ];
      const { findings, notes } = await analyze(files, { User: 'app', Env: ['PATH=/loop/a/bin:/usr/bin'] }, [
        'world-writable-path',
      ]);
      expect(findings.map((f) => f.location.path)).toEqual(['/usr/bin/tool']);
      expect(notes).toEqual([
        {
          code: 'BASELINE_PATH_UNRESOLVED',
          message: `PATH directory /loop/a/bin does not resolve within ${MAX_SYMLINK_HOPS} symlinks (a loop?): not checked for world-writable entries`,
          path: '/loop/a/bin',
        },
      ]);
      // a chain of exactly MAX_SYMLINK_HOPS links still resolves
      const chain = Array.from({ length: MAX_SYMLINK_HOPS }, (_, i) =>
        file(`/c${i}`, 0o777, 'symlink', {
          linkname: i === MAX_SYMLINK_HOPS - 1 ? '/usr/bin' : `/c${i + 1}`,
        }),
      );
      const byMap = new Map([...chain, ...files].map((f) => [f.path, f]));
      expect(resolveDir('/c0', byMap)).toBe('/usr/bin');
      expect(resolveDir('/loop/a/bin', byMap)).toBeUndefined();
    });

    it("uses Docker's default PATH when the config has none", () => {
      expect(pathDirs(undefined)).toEqual([
        '/usr/local/sbin',
        '/usr/local/bin',
        '/usr/sbin',
        '/usr/bin',
        '/sbin',
        '/bin',
      ]);
      expect(pathDirs(['PATH=/a', 'X=1', 'PATH=/b/../c:relative'])).toEqual(['/c']);
    });
  });

  describe('package-manager caches', () => {
    it('reports one finding per cache that holds files', async () => {
      const { findings } = await analyze(
        [
          file('/var/cache/apt/archives/curl_7.88.deb', 0o644, 'file', { size: 300 }),
          file('/var/cache/apt/archives/lock', 0o640),
          file('/var/cache/apt/archives/partial', 0o700, 'dir'),
          file('/var/lib/apt/lists/lock', 0o640),
          file('/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 0o644, 'file', {
            size: 1000,
          }),
          file('/var/cache/apk/APKINDEX.tar.gz', 0o644),
          file('/root/.cache/pip/http/a/b', 0o600),
          file('/root/.npm/_cacache/index-v5/x', 0o644),
        ],
        { User: 'app' },
        ['package-cache'],
      );
      expect(findings.map((f) => [f.location.path, f.evidence])).toEqual([
        ['/var/cache/apt/archives', '1 file(s), 300 bytes under /var/cache/apt/archives'],
        ['/var/lib/apt/lists', '1 file(s), 1000 bytes under /var/lib/apt/lists'],
        ['/var/cache/apk', '1 file(s), 10 bytes under /var/cache/apk'],
        ['/root/.cache/pip', '1 file(s), 10 bytes under /root/.cache/pip'],
        ['/root/.npm', '1 file(s), 10 bytes under /root/.npm'],
      ]);
    });

    it('is quiet for an image cleaned the usual way', async () => {
      const { findings } = await analyze(
        [file('/var/lib/apt/lists/lock', 0o640), file('/var/lib/apt/lists/partial', 0o700, 'dir')],
        { User: 'app' },
        ['package-cache'],
      );
      expect(findings).toEqual([]);
    });
  });

  describe('check selection', () => {
    it('runs only the selected checks, by name or rule id, and notes unknown names', async () => {
      const files = [file('/usr/local/bin/x', 0o4755), file('/var/cache/apk/a', 0o644)];
      const all = await analyze(files, { User: 'root' });
      expect(ids(all.findings)).toEqual([
        'PCS-BASELINE-ROOT-USER',
        'PCS-BASELINE-SETUID',
        'PCS-BASELINE-PACKAGE-CACHE',
      ]);
      const some = await analyze(files, { User: 'root' }, [
        'setuid',
        'PCS-BASELINE-PACKAGE-CACHE',
        'no-such-check',
      ]);
      expect(ids(some.findings)).toEqual(['PCS-BASELINE-SETUID', 'PCS-BASELINE-PACKAGE-CACHE']);
      expect(some.notes).toEqual([
        {
          code: 'BASELINE_CHECK_UNKNOWN',
          message: "unknown baseline check 'no-such-check' in the policy (ignored)",
        },
      ]);
    });

    it("carries dockle's checkpoint ids as aliases only where the check means the same", async () => {
      const files = [file('/usr/local/bin/x', 0o4755), file('/var/cache/apk/a', 0o644)];
      const { findings } = await analyze(files, { User: 'root', Healthcheck: undefined });
      const aliases = Object.fromEntries(findings.map((f) => [f.id, f.aliases]));
      expect(aliases).toEqual({
        'PCS-BASELINE-ROOT-USER': ['CIS-DI-0001'],
        'PCS-BASELINE-NO-HEALTHCHECK': ['CIS-DI-0006'],
        'PCS-BASELINE-SETUID': ['CIS-DI-0008'],
        // dockle has no package-cache checkpoint over files: no alias
        'PCS-BASELINE-PACKAGE-CACHE': undefined,
      });
    });

    it('treats an empty list as all checks', () => {
      expect(resolveBaselineChecks([]).checks.size).toBe(7);
    });

    it('caps file findings per check and says so in a note', async () => {
      const many = Array.from({ length: 150 }, (_, i) => file(`/opt/s${String(i).padStart(3, '0')}`, 0o4755));
      const { findings, notes } = await analyze(many, { User: 'app' }, ['setuid']);
      expect(findings).toHaveLength(100);
      expect(notes.map((n) => n.code)).toEqual(['BASELINE_FINDINGS_CAPPED']);
    });
  });
});

describe('baseline analyzer with unbuffered files', () => {
  it('notes a shadow file whose content was not buffered instead of passing silently', async () => {
    const { findings, notes } = await analyze(
      [file('/etc/shadow', 0o640, 'file', { size: 1 << 30 })],
      { User: 'app' },
      ['shadow'],
    );
    expect(findings).toEqual([]);
    expect(notes).toEqual([
      {
        code: 'BASELINE_FILE_NOT_READ',
        message: '/etc/shadow was not buffered (over the size limit?): not checked',
        path: '/etc/shadow',
      },
    ]);
  });
});
