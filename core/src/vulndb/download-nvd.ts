/**
 * `db update --nvd`: CVE severities from the NVD CVE API 2.0, for CVEs no ecosystem database scores. The
 * first run pages through every CVE; later runs ask only for CVEs modified since the last run
 * (`lastModStartDate`/`lastModEndDate`, at most 120 days per request as the API requires). Requests keep to
 * NVD's published rate limits (a rolling window; an API key, sent in the `apiKey` header, raises it) and
 * back off when NVD answers 403/429/503, as its documentation asks.
 */
import type { Dispatcher } from 'undici';
import { PortcullisError } from '../errors.js';
import { writeOsv } from './import.js';
import type { OsvInput } from './import.js';
import { dbStatus } from './open.js';
import { META } from './schema.js';
import { existsSync } from 'node:fs';

export const DEFAULT_NVD_API_URL = 'https://services.nvd.nist.gov/rest/json/cves/2.0';

/** The `update:` meta key (shown by `db status` under updates) holding the end of the last NVD window. */
export const NVD_UPDATE_KEY = 'NVD';

/** NVD's largest page for the CVE API. */
export const NVD_MAX_RESULTS_PER_PAGE = 2000;
/** NVD's largest lastMod date range, in days. */
const MAX_RANGE_DAYS = 120;

/**
 * NVD's documented limits (https://nvd.nist.gov/developers/start-here, "Rate Limits"): 10 requests in a
 * rolling 60 s window without an API key, 100 with one. Older NVD pages and third-party summaries give 5 and
 * 50 per rolling 30 s; the current page's numbers are the ones kept here. Callers may lower them.
 */
export const NVD_RATE_LIMITS = {
  anonymous: { requests: 10, windowMs: 60_000 },
  withKey: { requests: 100, windowMs: 60_000 },
} as const;

export interface NvdUpdateOptions {
  dbPath: string;
  apiUrl?: string;
  /** NVD API key (sent as the `apiKey` header; never logged). */
  apiKey?: string;
  dispatcher?: Dispatcher;
  /** Page through every CVE again even when the DB has NVD update state. */
  full?: boolean;
  now?: () => Date;
  /** Waits between requests (tests inject a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Defaults to NVD's maximum, 2000. */
  resultsPerPage?: number;
  /** Overrides NVD_RATE_LIMITS (tests). */
  rateLimit?: { requests: number; windowMs: number };
  /** Retries of one request after 403/429/503 before giving up. */
  retries?: number;
  /** Largest page accepted. */
  maxPageBytes?: number;
}

export interface NvdUpdateResult {
  mode: 'full' | 'incremental';
  requests: number;
  /** CVE records received (rejected ones included: they are removed). */
  cves: number;
  /** Start of the lastMod range asked for (incremental only). */
  since?: string;
  /** The time this run asked up to; the next run starts here. */
  until: string;
}

const DEFAULT_MAX_PAGE = 256 * 1024 ** 2;
const RETRY_STATUS = new Set([403, 429, 503]);

/** Fetches NVD CVE records (all, or modified since the last run) and writes them into the DB atomically. */
export async function updateNvd(opts: NvdUpdateOptions): Promise<NvdUpdateResult> {
  const apiUrl = opts.apiUrl ?? DEFAULT_NVD_API_URL;
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const perPage = Math.min(opts.resultsPerPage ?? NVD_MAX_RESULTS_PER_PAGE, NVD_MAX_RESULTS_PER_PAGE);
  const limit = opts.rateLimit ?? (opts.apiKey ? NVD_RATE_LIMITS.withKey : NVD_RATE_LIMITS.anonymous);
  const waitTurn = createRateLimiter(limit, () => now().getTime(), sleep);
  const since = opts.full ? undefined : readNvdState(opts.dbPath);
  const until = now();
  const docs: OsvInput[] = [];
  let requests = 0;
  let cves = 0;

  const windows = since ? toWindows(new Date(since), until) : [undefined];
  for (const window of windows) {
    for (let startIndex = 0; ;) {
      const url = new URL(apiUrl);
      if (window) {
        url.searchParams.set('lastModStartDate', window.start.toISOString());
        url.searchParams.set('lastModEndDate', window.end.toISOString());
      }
      url.searchParams.set('resultsPerPage', String(perPage));
      url.searchParams.set('startIndex', String(startIndex));
      const page = await fetchPage(url.toString(), opts, { waitTurn, sleep, windowMs: limit.windowMs });
      requests += page.attempts;
      docs.push({ source: url.toString(), text: page.text, input: apiUrl });
      cves += page.count;
      startIndex += page.count;
      if (page.count === 0 || startIndex >= page.total) break;
    }
  }
  writeOsv(opts.dbPath, docs, [apiUrl], {
    meta: { [`${META.updatePrefix}${NVD_UPDATE_KEY}`]: until.toISOString() },
    now,
  });
  return {
    mode: since ? 'incremental' : 'full',
    requests,
    cves,
    ...(since ? { since } : {}),
    until: until.toISOString(),
  };
}

function readNvdState(dbPath: string): string | undefined {
  if (!existsSync(dbPath)) return undefined;
  const at = dbStatus(dbPath).updates[NVD_UPDATE_KEY];
  return at !== undefined && !Number.isNaN(Date.parse(at)) ? at : undefined;
}

/** Splits [start, end] into ranges of at most 120 days, NVD's largest. */
export function toWindows(start: Date, end: Date): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  const step = MAX_RANGE_DAYS * 86_400_000;
  for (let t = start.getTime(); t < end.getTime(); t += step) {
    out.push({ start: new Date(t), end: new Date(Math.min(t + step, end.getTime())) });
  }
  return out.length > 0 ? out : [{ start, end }];
}

/**
 * A rolling-window limiter: at most `requests` calls in any `windowMs`. Resolves when the caller may send.
 */
export function createRateLimiter(
  limit: { requests: number; windowMs: number },
  clock: () => number,
  sleep: (ms: number) => Promise<void>,
): () => Promise<void> {
  const sent: number[] = [];
  return async () => {
    for (;;) {
      const t = clock();
      while (sent.length > 0 && t - (sent[0] as number) >= limit.windowMs) sent.shift();
      if (sent.length < limit.requests) {
        sent.push(t);
        return;
      }
      await sleep(limit.windowMs - (t - (sent[0] as number)));
    }
  };
}

interface Page {
  text: string;
  count: number;
  total: number;
  attempts: number;
}

async function fetchPage(
  url: string,
  opts: NvdUpdateOptions,
  pace: { waitTurn: () => Promise<void>; sleep: (ms: number) => Promise<void>; windowMs: number },
): Promise<Page> {
  const retries = opts.retries ?? 3;
  const max = opts.maxPageBytes ?? DEFAULT_MAX_PAGE;
  for (let attempt = 1; ; attempt++) {
    await pace.waitTurn();
    let res: Dispatcher.ResponseData;
    try {
      res = await (
        await import('undici')
      ).request(url, {
        method: 'GET',
        headers: opts.apiKey ? { apiKey: opts.apiKey } : {},
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
    } catch (err) {
      throw new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (res.statusCode !== 200) {
      res.body.on('error', () => {});
      res.body.destroy();
      // NVD puts its reason in a `message` header.
      const why = typeof res.headers.message === 'string' ? `: ${res.headers.message.slice(0, 200)}` : '';
      if (RETRY_STATUS.has(res.statusCode) && attempt <= retries) {
        // a throttled client waits out a whole window, longer each time
        await pace.sleep(pace.windowMs * attempt);
        continue;
      }
      throw new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: HTTP ${res.statusCode}${why}`);
    }
    const text = await readBody(res, url, max);
    return { ...toPage(text, url), attempts: attempt };
  }
}

async function readBody(res: Dispatcher.ResponseData, url: string, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > max) {
      res.body.on('error', () => {});
      res.body.destroy();
      throw new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Checks an API answer and keeps of each CVE only what severity needs (id, dates, status, CVSS metrics), so a
 * full download of every CVE stays small in memory until it is written.
 */
function toPage(text: string, url: string): Omit<Page, 'attempts'> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: not JSON: ${(err as Error).message}`);
  }
  const d = doc as { totalResults?: unknown; vulnerabilities?: unknown };
  if (typeof d.totalResults !== 'number' || !Array.isArray(d.vulnerabilities)) {
    throw new PortcullisError(
      'DB_DOWNLOAD_FAILED',
      `GET ${url}: not an NVD CVE API 2.0 answer (no totalResults/vulnerabilities)`,
    );
  }
  const vulnerabilities = (d.vulnerabilities as { cve?: Record<string, unknown> }[]).map(({ cve }) => ({
    cve: cve && {
      id: cve.id,
      lastModified: cve.lastModified,
      vulnStatus: cve.vulnStatus,
      metrics: pruneMetrics(cve.metrics),
    },
  }));
  return {
    text: JSON.stringify({ format: 'NVD_CVE', vulnerabilities }),
    count: vulnerabilities.length,
    total: d.totalResults,
  };
}

function pruneMetrics(metrics: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof metrics !== 'object' || metrics === null) return out;
  for (const [key, list] of Object.entries(metrics)) {
    if (!key.startsWith('cvssMetric') || !Array.isArray(list)) continue;
    out[key] = list.map((m: Record<string, unknown>) => {
      const data = (m.cvssData ?? {}) as Record<string, unknown>;
      return {
        type: m.type,
        ...(m.baseSeverity !== undefined && { baseSeverity: m.baseSeverity }),
        cvssData: {
          vectorString: data.vectorString,
          baseScore: data.baseScore,
          ...(data.baseSeverity !== undefined && { baseSeverity: data.baseSeverity }),
        },
      };
    });
  }
  return out;
}
