// Issue 11 item 14: a scan whose inventory is incomplete (a damaged package DB) is never a clean allow; it
// goes through the same gate as a stale vulnerability DB.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy, parsePolicy } from '../../core/src/policy/index.js';
import { describeUncheckedVulns, UNCHECKED_PREFIX } from '../../core/src/policy/unchecked.js';
import type { Note } from '../../core/src/types/finding.js';
import { NOW, readMultiScan } from './helpers.js';

const INCOMPLETE: Note = {
  code: 'INVENTORY_INCOMPLETE',
  message:
    '/var/lib/dpkg/status: 1 damaged or unreadable entry was skipped (87 packages read): installed packages may be missing, so vulnerabilities were not fully checked',
  path: '/var/lib/dpkg/status',
};

/** The multi scan with only low findings left (so it allows on its own), plus `notes`. */
function scanWith(notes: Note[]): ReturnType<typeof readMultiScan> {
  const scan = readMultiScan();
  scan.findings = scan.findings.filter((f) => f.severity === 'low');
  scan.notes = notes;
  return scan;
}

describe('an incomplete inventory', () => {
  it('is a clean allow without the note (the control case)', () => {
    expect(evaluatePolicy(scanWith([]), DEFAULT_POLICY, { now: NOW }).verdict.decision).toBe('allow');
  });

  it('denies under the default policy (judged like a missing DB), saying vulnerabilities were not fully checked', () => {
    const { verdict } = evaluatePolicy(scanWith([INCOMPLETE]), DEFAULT_POLICY, { now: NOW });
    expect(verdict.decision).toBe('deny');
    expect(verdict.reasons).toEqual([
      expect.stringMatching(/^vulnerabilities not fully checked: \/var\/lib\/dpkg\/status: 1 damaged/),
    ]);
  });

  it('warns, never allows, under gates.missingDb: warn', () => {
    const policy = parsePolicy('apiVersion: portcullis/v1\ngates: { missingDb: warn }\n');
    const { verdict } = evaluatePolicy(scanWith([INCOMPLETE]), policy, { now: NOW });
    expect(verdict.decision).toBe('warn');
    expect(verdict.reasons).toEqual([expect.stringMatching(/^vulnerabilities not fully checked: /)]);
  });

  it('denies under gates.staleDb: deny, like a stale DB', () => {
    const policy = parsePolicy('apiVersion: portcullis/v1\ngates: { staleDb: deny }\n');
    const { verdict } = evaluatePolicy(
      scanWith([INCOMPLETE, { ...INCOMPLETE, path: '/lib/apk/db/installed' }]),
      policy,
      {
        now: NOW,
      },
    );
    expect(verdict.decision).toBe('deny');
    expect(verdict.reasons[0]).toMatch(/^vulnerabilities not fully checked: .*\(and 1 more\)$/);
  });

  it('does not gate when the vuln scanner is off (nothing was going to be checked)', () => {
    const policy = parsePolicy(
      'apiVersion: portcullis/v1\nscanners: { vuln: false }\ngates: { staleDb: deny }\n',
    );
    expect(evaluatePolicy(scanWith([INCOMPLETE]), policy, { now: NOW }).verdict.decision).toBe('allow');
  });

  it('other notes (a parse warning) do not trip the gate', () => {
    const note: Note = { code: 'ANALYZER_PARSE_PARTIAL', message: 'package x has a malformed Source field' };
    const policy = parsePolicy('apiVersion: portcullis/v1\ngates: { staleDb: deny }\n');
    expect(evaluatePolicy(scanWith([note]), policy, { now: NOW }).verdict.decision).toBe('allow');
  });
});

describe('describeUncheckedVulns (the gate message)', () => {
  const other: Note = {
    code: 'INVENTORY_INCOMPLETE',
    message: 'apk installed: damaged',
    path: '/lib/apk/db/installed',
  };

  it('is undefined without an unchecked-vulnerabilities note (another note does not count)', () => {
    expect(describeUncheckedVulns([])).toBeUndefined();
    expect(describeUncheckedVulns([{ code: 'OS_UNKNOWN', message: 'no os-release' }])).toBeUndefined();
  });

  it('quotes the one note as it is, with nothing appended', () => {
    expect(describeUncheckedVulns([INCOMPLETE])).toBe(`${UNCHECKED_PREFIX}: ${INCOMPLETE.message}`);
  });

  it('quotes the first of several and counts the rest', () => {
    expect(describeUncheckedVulns([INCOMPLETE, other])).toBe(
      `${UNCHECKED_PREFIX}: ${INCOMPLETE.message} (and 1 more)`,
    );
  });
});
