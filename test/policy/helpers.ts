import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScanResult } from '../../core/src/types/scan.js';
import { FIXTURES } from '../helpers/env.js';

/** A fresh copy of the ScanResult shaped like the `multi` test image. */
export function readMultiScan(): ScanResult {
  return JSON.parse(readFileSync(join(FIXTURES, 'policy', 'multi-scan.json'), 'utf8')) as ScanResult;
}

export function readPolicyFixture(name: string): string {
  return readFileSync(join(FIXTURES, 'policy', name), 'utf8');
}

/** 2026-11-27T12:00:00Z: two days after the fixture's DB build. */
export const NOW = new Date('2026-11-27T12:00:00Z');

export function daysFrom(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
