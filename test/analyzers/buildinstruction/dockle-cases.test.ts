import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../../core/src/analyzers/buildinstruction/index.js';
import { evaluateConfigChecks } from '../../../core/src/analyzers/baseline/analyzer.js';
import type { HistoryEntry, ImageConfig } from '../../../core/src/types/image.js';

/**
 * dockle's image-history checkpoints (`pkg/assessor/manifest`, goodwithtech/dockle @a29679e), case by
 * case: its unit cases over command lists and `created_by` strings, and its five image configs. A case
 * "reports" a checkpoint when a finding carries the checkpoint id as an alias. Command lists become
 * history entries in both forms builders write: the classic `/bin/sh -c …` and BuildKit's
 * `RUN /bin/sh -c … # buildkit`.
 */
type Case = [commands: string[], dockleReports: boolean];

const COMMAND_CASES: Record<string, Case[]> = {
  // apk add without --no-cache
  'DKL-DI-0004': [
    [['apk add git'], true],
    [['apk add --no-cache git'], false],
  ],
  // apt-get update never followed by an install or upgrade
  'CIS-DI-0007': [
    [['apt-get update', 'apt-get purge'], true],
    [['apt-get install', 'apt-get purge'], false],
    [['apt-get update', 'apt-get -y --no-install-recommends install'], false],
    [['apt-get -y --no-install-recommends install', 'apt-get update'], true],
    [['apt update', 'apt -y --no-install-recommends install'], false],
    [
      [
        "set -eux; apk add --no-cache --virtual .fetch-deps gnupg; arch=$(apk --print-arch); url=; case $arch in 'x86_64') export GOARCH='amd64' GOOS='linux';; *) echo >&2 error: unsupported architecture '$arch' (likely packaging update needed); exit 1 ;; esac; wget -O go.tgz $url; apk add --no-cache --virtual .build-deps bash gcc go musl-dev; apk del --no-network .build-deps; go version",
      ],
      false,
    ],
  ],
  // apt lists left behind
  'DKL-DI-0005': [
    [['apt-get -y install', 'apt-get update'], true],
    [['apt-get update', 'apt-get purge'], true],
    [['apt-get purge'], false],
    [['apt-get install', 'rm -fR /var/lib/apt/lists/*'], false],
    [['apt-get install -y git', 'rm -rf /var/lib/apt/lists'], false],
    [['apt-get install -y git', 'rm -r /var/lib/apt/lists'], false],
  ],
  // dist-upgrade (a plain upgrade is not this checkpoint)
  'DKL-DI-0003': [
    [['apt-get upgrade'], false],
    [['apt upgrade', 'addgroup --system --gid 101 nginx'], false],
    [['apt-get dist-upgrade'], true],
    [['apt dist-upgrade'], true],
    [['somecommand dist-upgrade pip setuptools'], false],
  ],
  'CIS-DI-0009': [
    [['set -x', 'addgroup --system --gid 101 nginx'], false],
    [['set -x', '/bin/sh -c RETHINKDB_CLUSTER_IP_ADDR'], false],
  ],
};

/** dockle's `sensitiveVars` cases: whole `created_by` strings of the classic builder. */
const SECRET_CASES: [createdBy: string, dockleReports: boolean][] = [
  ['/bin/sh -c #(nop) ENV PASS=ADMIN', true],
  ['/bin/sh -c #(nop) ENV PASS=', false],
  ['/bin/sh -c #(nop) ENV PasS=ADMIN', true],
  ['/bin/sh -c #(nop) ENV abc=hello password=sensibledata', true],
  ['/bin/sh -c #(nop) ENV ABC=hello PASS= ', false],
  ['/bin/sh -c SECRET_API_KEY=63AF7AA15067C05616FDDD88A3A2E8F226F0BC06 echo "data"', true],
  ['/bin/sh -c HELLO="PASS=\\"notThis\\"" echo "false positive"', false],
  ['/bin/sh -c SECRET=myLittleSecret VAR2=VALUE2 VAR3=VALUE3 echo "Do something"', true],
  ['/bin/sh -c SECRET="hello world"', true],
  ["/bin/sh -c echo 'secret = foo;' > test.conf", false],
];

/** The same `created_by` as BuildKit writes it. */
function toBuildkit(createdBy: string): string {
  const nop = /^\/bin\/sh -c #\(nop\)\s+(.*)$/.exec(createdBy);
  if (nop !== null) return (nop[1] as string).trim();
  return `RUN ${createdBy} # buildkit`;
}

const BASE: HistoryEntry = { created_by: '/bin/sh -c #(nop) ADD file:2e3a37883f56a4a2 in / ' };

function codes(history: HistoryEntry[]): string[] {
  return analyzeHistory(history).flatMap((f) => f.aliases ?? []);
}

const tally = { cases: 0, agree: 0 };

function check(name: string, code: string, history: HistoryEntry[], expected: boolean | number): void {
  tally.cases++;
  it(`${code}: ${name}`, () => {
    const found = codes(history).filter((c) => c === code).length;
    if (typeof expected === 'number') expect(found).toBe(expected);
    else expect(found > 0).toBe(expected);
    tally.agree++;
  });
}

describe('dockle image-history checkpoints, transcribed', () => {
  for (const [code, cases] of Object.entries(COMMAND_CASES)) {
    for (const [commands, expected] of cases) {
      const classic = `/bin/sh -c ${commands.join(' && ')}`;
      check(`classic ${JSON.stringify(classic)}`, code, [BASE, { created_by: classic }], expected);
      check('BuildKit form', code, [BASE, { created_by: toBuildkit(classic) }], expected);
    }
  }
  for (const [createdBy, expected] of SECRET_CASES) {
    check(`classic ${JSON.stringify(createdBy)}`, 'CIS-DI-0010', [BASE, { created_by: createdBy }], expected);
    const bk = toBuildkit(createdBy);
    check(`BuildKit ${JSON.stringify(bk)}`, 'CIS-DI-0010', [BASE, { created_by: bk }], expected);
  }

  describe('volumes on host-sensitive directories', () => {
    // dockle reads config.Volumes; the history records each VOLUME the same way
    for (const [volume, expected] of [
      ['/proc', true],
      ['/sys', true],
      ['/data /dev', true],
      ['/data', false],
      ['/proc/self', false],
    ] as const) {
      check(
        `classic VOLUME [${volume}]`,
        'DKL-DI-0002',
        [BASE, { created_by: `/bin/sh -c #(nop)  VOLUME [${volume}]` }],
        expected,
      );
      check(
        `BuildKit VOLUME [${volume}]`,
        'DKL-DI-0002',
        [BASE, { created_by: `VOLUME [${volume}]` }],
        expected,
      );
    }
  });

  describe('ADD instead of COPY', () => {
    // dockle's own unit case is one ADD of a single file into /cmd: not a base image's root file system
    check(
      'a lone ADD of a file into /cmd',
      'CIS-DI-0009',
      [
        {
          created_by:
            '/bin/sh -c #(nop) ADD file:2e3a37883f56a4a278bec2931fc9f91fb9ebdaa9047540fe8fde419b84a1701b in /cmd',
        },
      ],
      true,
    );
    check(
      'BuildKit ADD of a local file',
      'CIS-DI-0009',
      [BASE, { created_by: 'ADD app.conf /etc/app/ # buildkit' }],
      true,
    );
    check(
      'BuildKit ADD of a local archive (it extracts)',
      'CIS-DI-0009',
      [BASE, { created_by: 'ADD rootfs.tar.xz /opt/ # buildkit' }],
      false,
    );
  });
});

/**
 * dockle's five image configs (`testdata/*.json`), transcribed: their history entries and the
 * checkpoints dockle reports on them, history ones from the build-instruction analyzer and the config
 * ones (root user, HEALTHCHECK) from the baseline analyzer.
 */
const UBUNTU_BASE: HistoryEntry[] = [
  { created_by: '/bin/sh -c #(nop)  ARG RELEASE', empty_layer: true },
  { created_by: '/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH', empty_layer: true },
  { created_by: '/bin/sh -c #(nop)  LABEL org.opencontainers.image.ref.name=ubuntu', empty_layer: true },
  { created_by: '/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=22.04', empty_layer: true },
  {
    created_by:
      '/bin/sh -c #(nop) ADD file:262490f82459c14632f5c9a6d6a5cf6c07b4f307e8fd380fa764662cda46e88f in / ',
  },
  { created_by: '/bin/sh -c #(nop)  CMD ["/bin/bash"]', empty_layer: true },
  { created_by: 'RUN /bin/sh -c echo "hello" # buildkit', comment: 'buildkit.dockerfile.v0' },
];
const UBUNTU_ADD = UBUNTU_BASE[4] as HistoryEntry;
const ALPINE_BASE: HistoryEntry[] = [
  {
    created_by:
      '/bin/sh -c #(nop) ADD file:2e3a37883f56a4a278bec2931fc9f91fb9ebdaa9047540fe8fde419b84a1701b in / ',
  },
  { created_by: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty_layer: true },
];

const IMAGES: { name: string; history: HistoryEntry[]; user: string; expected: Record<string, number> }[] = [
  { name: 'root_default', history: ALPINE_BASE, user: '', expected: { 'CIS-DI-0001': 1, 'CIS-DI-0006': 1 } },
  {
    name: 'apk_cache',
    history: [
      ...ALPINE_BASE,
      { created_by: '/bin/sh -c apk add wget curl' },
      {
        created_by:
          '/bin/sh -c #(nop) ADD file:cf1415d8f82ed259f8e9cd1d44120662a8e5fea652935195313426c3f5712a5c in /app/credential.json ',
      },
    ],
    user: '',
    expected: { 'DKL-DI-0004': 1, 'CIS-DI-0001': 1, 'CIS-DI-0006': 1, 'CIS-DI-0009': 1 },
  },
  {
    name: 'apt_update_upgrade',
    history: [
      {
        created_by:
          '/bin/sh -c #(nop) ADD file:1e52a0aa8f37622b3d0d73bddae98dd854cdd0b001fffe704eb833b2659413ec in / ',
      },
      { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
      { created_by: '/bin/sh -c apt-get update -y && apt-get upgrade -y && echo "hello"' },
    ],
    user: '',
    expected: { 'CIS-DI-0001': 1, 'DKL-DI-0005': 1, 'CIS-DI-0006': 1, 'CIS-DI-0007': 0 },
  },
  {
    name: 'add_with_arg_statement',
    history: UBUNTU_BASE,
    user: '',
    expected: { 'CIS-DI-0001': 1, 'CIS-DI-0006': 1, 'CIS-DI-0009': 0 },
  },
  {
    name: 'multi_add',
    history: [...UBUNTU_BASE, UBUNTU_ADD, UBUNTU_ADD],
    user: '',
    expected: { 'CIS-DI-0001': 1, 'CIS-DI-0006': 1, 'CIS-DI-0009': 2 },
  },
];

/** Our baseline rule for each of dockle's config checkpoints. */
const CONFIG_CHECKPOINTS: Record<string, string> = {
  'PCS-BASELINE-ROOT-USER': 'CIS-DI-0001',
  'PCS-BASELINE-NO-HEALTHCHECK': 'CIS-DI-0006',
};
/** Every checkpoint dockle's manifest assessor has; a case asserts the count of each (0 unless listed). */
const ALL = [
  'CIS-DI-0001',
  'CIS-DI-0006',
  'CIS-DI-0007',
  'CIS-DI-0009',
  'CIS-DI-0010',
  'DKL-DI-0001',
  'DKL-DI-0003',
  'DKL-DI-0004',
  'DKL-DI-0005',
];

describe('dockle image configs, transcribed', () => {
  for (const image of IMAGES) {
    tally.cases++;
    it(`${image.name}: the checkpoints dockle reports, each as often`, () => {
      const config: ImageConfig = { config: { User: image.user }, history: image.history };
      const found = [
        ...codes(image.history),
        ...evaluateConfigChecks(config, new Set(['root-user', 'no-healthcheck'])).map(
          (f) => CONFIG_CHECKPOINTS[f.id] ?? f.id,
        ),
      ];
      for (const code of ALL) {
        expect(found.filter((c) => c === code).length, code).toBe(image.expected[code] ?? 0);
      }
      tally.agree++;
    });
  }

  it('agrees on every case (the 42 of dockle, each history case in both builder forms, and the volume cases)', () => {
    console.log(`dockle checkpoints: ${tally.agree} of ${tally.cases} cases agree`);
    expect(tally.agree).toBe(tally.cases);
  });
});
