import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { analyzeDockerfile, BUILD_RULES } from '../../../core/src/analyzers/buildinstruction/index.js';
import { FIXTURES } from '../../helpers/env.js';

const DIR = join(FIXTURES, 'dockerfile', 'trivy-checks');

interface IndexEntry {
  id: string;
  aliases: string[];
  severity: string;
  title: string;
  examples_yaml: string | null;
}

const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as IndexEntry[];

/** Our rule id for a trivy-checks entry: the short `DS0NN` alias. */
function ruleIdOf(entry: IndexEntry): string {
  const alias = entry.aliases.find((a) => /^DS\d{3}$/.test(a));
  if (alias === undefined) throw new Error(`no DS alias for ${entry.id}`);
  return alias;
}

/**
 * Checks upstream ships without example files: cases written here from the check's rego
 * (trivy-checks @80e53822), so no check goes untested.
 */
const HAND_WRITTEN: Record<string, { good: string[]; bad: string[] }> = {
  DS025: {
    good: ['FROM alpine:3.19\nRUN apk add --no-cache curl\nUSER app'],
    bad: ['FROM alpine:3.19\nRUN apk update && apk add curl\nUSER app'],
  },
  DS026: {
    good: ['FROM alpine:3.19\nHEALTHCHECK CMD /bin/healthcheck\nUSER app'],
    bad: ['FROM alpine:3.19\nUSER app\nCMD ["./app"]'],
  },
  DS027: {
    good: ['FROM ubi8-minimal:8.9\nRUN microdnf install -y bash && microdnf clean all\nUSER app'],
    bad: ['FROM ubi8-minimal:8.9\nRUN microdnf install -y bash\nUSER app'],
  },
  DS029: {
    good: [
      'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nUSER app',
      'FROM debian:12\nRUN apt-get -y install curl --no-install-recommends\nUSER app',
    ],
    bad: ['FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER app'],
  },
  DS030: {
    good: ['FROM alpine:3.19\nWORKDIR /app\nUSER app'],
    bad: ['FROM alpine:3.19\nWORKDIR /proc/self/fd\nUSER app'],
  },
  DS031: {
    good: [
      'FROM alpine:3.19\nARG VERSION=1\nRUN --mount=type=secret,id=aws aws configure set aws_access_key_id x\nUSER app',
    ],
    bad: [
      'FROM alpine:3.19\nARG AWS_SECRET_ACCESS_KEY\nUSER app',
      'FROM alpine:3.19\nENV GITHUB_TOKEN=ghp_x\nUSER app',
      'FROM alpine:3.19\nRUN aws configure set aws_access_key_id $KEY\nUSER app',
      'FROM alpine:3.19\nCOPY ./creds ./app\nENV GOOGLE_APPLICATION_CREDENTIALS=./app/google.json\nUSER app',
    ],
  },
};

function ids(text: string): string[] {
  // a finding stands for its aliases too (PCS-BUILD-SECRET-ENV also reports DS031 for the same ENV)
  return analyzeDockerfile(text, 'Dockerfile').flatMap((f) => [f.id, ...(f.aliases ?? [])]);
}

describe('trivy-checks Dockerfile examples', () => {
  const counts = { checks: 0, bad: 0, good: 0, handWritten: 0 };
  const notImplemented: string[] = [];

  for (const entry of index) {
    const id = ruleIdOf(entry);
    const rule = Object.values(BUILD_RULES).find((r) => r.id === id);
    if (rule === undefined) {
      notImplemented.push(`${id}: no rule`);
      continue;
    }
    counts.checks++;
    let examples: { good: string[]; bad: string[] };
    if (entry.examples_yaml === null) {
      const hw = HAND_WRITTEN[id];
      if (hw === undefined) {
        notImplemented.push(`${id}: no upstream examples and no hand-written cases`);
        continue;
      }
      examples = hw;
      counts.handWritten++;
    } else {
      const doc = parseYaml(readFileSync(join(DIR, entry.examples_yaml), 'utf8')) as {
        dockerfile: { good?: string[]; bad?: string[] };
      };
      examples = { good: doc.dockerfile.good ?? [], bad: doc.dockerfile.bad ?? [] };
    }

    describe(`${id} ${entry.title}`, () => {
      it('has our severity equal to upstream', () => {
        expect(rule.severity).toBe(entry.severity.toLowerCase());
      });
      examples.bad.forEach((text, i) => {
        counts.bad++;
        it(`bad example ${i + 1} raises ${id}`, () => {
          expect(ids(text)).toContain(id);
        });
      });
      examples.good.forEach((text, i) => {
        counts.good++;
        it(`good example ${i + 1} does not raise ${id}`, () => {
          expect(ids(text)).not.toContain(id);
        });
      });
    });
  }

  it('covers every check in index.json', () => {
    console.log(
      `trivy-checks: ${index.length} checks, ${counts.checks} implemented ` +
        `(${counts.handWritten} with hand-written cases: upstream ships no examples), ` +
        `${counts.bad} bad and ${counts.good} good examples`,
    );
    for (const gap of notImplemented) console.log(`NOT IMPLEMENTED ${gap}`);
    expect(notImplemented).toEqual([]);
    expect(counts.checks).toBe(index.length);
  });
});
