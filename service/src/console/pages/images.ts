import { RISK_TYPES, SEVERITIES, type Finding } from '../../../../core/src/index.js';
import type { ImageFilter, ImageSort, ImageSummary, toImageDetail } from '../../images.js';
import { RISK_CATEGORIES, toRiskCategory } from '../../overview.js';
import type { WorkloadSighting } from '../../workloads.js';
import { html, type SafeHtml } from '../html.js';
import { badge, shortDigest, toTime } from '../layout.js';
import { toCategoryLabel } from './overview.js';

export interface ImageListView {
  items: ImageSummary[];
  total: number;
  limit: number;
  offset: number;
  filter: ImageFilter;
  sort: ImageSort;
  registries: string[];
  /** digest → tagged references recent tasks scanned it as. */
  seenAs: Map<string, string[]>;
  /** When the image index evaluated the store; `refreshing` while a newer evaluation runs. */
  asOf: string;
  refreshing: boolean;
}

const toQuery = (params: Record<string, string | number | undefined>): string =>
  new URLSearchParams(
    Object.entries(params).flatMap(([k, v]): [string, string][] =>
      v === undefined || v === '' ? [] : [[k, String(v)]],
    ),
  ).toString();

function option(value: string, current: string | undefined, label = value): SafeHtml {
  return html`<option value="${value}" ${value === current ? html`selected` : ''}>${label}</option>`;
}

export function renderImageList(v: ImageListView): SafeHtml {
  const base = { ...v.filter, limit: v.limit };
  const sortLink = (by: ImageSort['by'], label: string): SafeHtml => {
    const asc = v.sort.by === by && !v.sort.descending;
    const sort = asc ? `-${by}` : by;
    const state = v.sort.by === by ? (v.sort.descending ? 'descending' : 'ascending') : 'none';
    return html`<th scope="col" aria-sort="${state}">
      <a href="/images?${toQuery({ ...base, sort })}">${label}</a>
    </th>`;
  };
  const page = (offset: number): string =>
    `/images?${toQuery({ ...base, sort: `${v.sort.descending ? '-' : ''}${v.sort.by}`, offset })}`;
  const last = Math.min(v.offset + v.items.length, v.total);
  return html`<form class="filters" method="get" action="/images" role="search" aria-label="Filter images">
      <label
        >Registry
        <select name="registry">
          <option value="">any</option>
          ${v.registries.map((r) => option(r, v.filter.registry))}
        </select>
      </label>
      <label>Repository <input name="repository" value="${v.filter.repository ?? ''}" /></label>
      <label
        >Risk type
        <select name="riskType">
          <option value="">any</option>
          ${RISK_TYPES.map((t) => option(t, v.filter.riskType))}
        </select>
      </label>
      <label
        >Severity
        <select name="severity">
          <option value="">any</option>
          ${SEVERITIES.map((s) => option(s, v.filter.severity))}
        </select>
      </label>
      <label
        >Verdict
        <select name="verdict">
          <option value="">any</option>
          ${['deny', 'warn', 'allow'].map((s) => option(s, v.filter.verdict))}
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
    <p role="status">
      ${v.total === 0 ? 'No images match.' : `Images ${v.offset + 1}–${last} of ${v.total}`}
    </p>
    <p class="muted">
      As of ${toTime(v.asOf)}${v.refreshing ? ' (a newer evaluation is running: reload shortly)' : ''}
    </p>
    <table>
      <thead>
        <tr>
          ${sortLink('reference', 'Image')}
          <th scope="col">Registry</th>
          <th scope="col">Digest</th>
          ${sortLink('verdict', 'Verdict')} ${sortLink('findings', 'Findings')}
          ${sortLink('scannedAt', 'Last scanned')}
        </tr>
      </thead>
      <tbody>
        ${v.items.map(
          (i) =>
            html`<tr>
              <td>
                <a href="/images/${i.digest}">${i.reference}</a>
                ${(v.seenAs.get(i.digest) ?? []).map((r) => html`<br /><span class="muted">as ${r}</span>`)}
              </td>
              <td>${i.registry ?? '—'}</td>
              <td><code>${shortDigest(i.digest)}</code></td>
              <td>${badge(i.verdict)}</td>
              <td>
                ${SEVERITIES.filter((s) => i.counts.bySeverity[s]).map((s) => html`${badge(s)} ${i.counts.bySeverity[s]} `)}
              </td>
              <td>${toTime(i.scannedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <nav class="pager" aria-label="Pages">
      ${v.offset > 0 ? html`<a href="${page(Math.max(0, v.offset - v.limit))}" rel="prev">Previous page</a>` : ''}
      ${last < v.total ? html`<a href="${page(v.offset + v.limit)}" rel="next">Next page</a>` : ''}
    </nav>`;
}

type ImageDetail = ReturnType<typeof toImageDetail>;

function renderFinding(f: Finding, i: number): SafeHtml {
  const pkg = f.package;
  const fixed = pkg?.fixedVersion ?? f.fixedVersions?.join(', ');
  return html`<tr>
    <td>${badge(f.severity)}</td>
    <td>
      <code>${f.id}</code
      >${f.aliases?.length ? html`<br /><span class="muted">${f.aliases.join(', ')}</span>` : ''}
    </td>
    <td>
      ${f.title}
      ${
        f.evidence
          ? html`<details>
              <summary id="evidence-${i}">Evidence</summary>
              <pre>${f.evidence}</pre>
            </details>`
          : ''
      }
      ${f.remediation ? html`<p class="muted">${f.remediation}</p>` : ''}
    </td>
    <td>${pkg ? html`${pkg.name} <code>${pkg.version}</code>` : '—'}</td>
    <td>${fixed ? html`<code>${fixed}</code>` : html`<span class="muted">no fix</span>`}</td>
    <td>
      ${f.location.path ? html`<code>${f.location.path}</code>` : (f.location.source ?? '—')}${f.location.line ? `:${f.location.line}` : ''}
      ${f.location.layerDigest ? html`<br /><span class="muted">layer <code>${shortDigest(f.location.layerDigest)}</code></span>` : ''}
    </td>
    <td>
      ${
        f.suppressedBy
          ? html`<a href="/exceptions#exception-${f.suppressedBy.index}">exception #${f.suppressedBy.index}</a
              >: ${f.suppressedBy.reason}`
          : ''
      }
    </td>
  </tr>`;
}

export function renderImageDetail(d: ImageDetail, workloads: WorkloadSighting[]): SafeHtml {
  const groups = RISK_CATEGORIES.map((c) => ({
    c,
    list: d.findings.map((f, i) => ({ f, i })).filter(({ f }) => toRiskCategory(f) === c),
  })).filter((g) => g.list.length > 0);
  return html`<dl class="grid">
      <div>
        <dt>Reference</dt>
        <dd><code>${d.reference}</code></dd>
      </div>
      <div>
        <dt>Digest</dt>
        <dd><code>${d.digest}</code></dd>
      </div>
      <div>
        <dt>Verdict</dt>
        <dd>${badge(d.verdict)} ${d.reasons.join('; ')}</dd>
      </div>
      <div>
        <dt>Scanned</dt>
        <dd>
          ${toTime(d.scannedAt)} · ${d.packages} packages${d.os ? ` · ${d.os.family} ${d.os.version}` : ''}
        </dd>
      </div>
    </dl>
    ${
      d.warnings.length
        ? html`<ul class="notice">
            ${d.warnings.map((w) => html`<li>${w}</li>`)}
          </ul>`
        : ''
    }
    <section aria-labelledby="where">
      <h2 id="where">Where it runs</h2>
      ${
        workloads.length === 0
          ? html`<p class="muted">No runtime scan has seen this image running.</p>`
          : html`<ul>
              ${workloads.map(
                (w) =>
                  html`<li>
                    <code>${w.workload}</code>
                    <span class="muted">(seen ${toTime(w.at)}, <a href="/tasks/${w.task}">task</a>)</span>
                  </li>`,
              )}
            </ul>`
      }
    </section>
    <section aria-labelledby="findings">
      <h2 id="findings">Findings (${d.findings.length})</h2>
      ${groups.length === 0 ? html`<p>No findings.</p>` : ''}
      ${groups.map(
        (g) =>
          html`<h3 id="type-${g.c}">${toCategoryLabel(g.c)} (${g.list.length})</h3>
            <table aria-labelledby="type-${g.c}">
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">ID</th>
                  <th scope="col">What</th>
                  <th scope="col">Package</th>
                  <th scope="col">Fixed in</th>
                  <th scope="col">Layer and path</th>
                  <th scope="col">Suppressed by</th>
                </tr>
              </thead>
              <tbody>
                ${g.list.map(({ f, i }) => renderFinding(f, i))}
              </tbody>
            </table>`,
      )}
    </section>
    <section aria-labelledby="remediation">
      <h2 id="remediation">Remediation</h2>
      ${
        d.remediation.dockerfile.length
          ? html`<pre>${d.remediation.dockerfile.join('\n')}</pre>`
          : html`<p class="muted">No package upgrade snippet.</p>`
      }
      ${
        d.remediation.packages.length
          ? html`<table>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Installed</th>
                  <th scope="col">Upgrade to</th>
                  <th scope="col">Fixes</th>
                </tr>
              </thead>
              <tbody>
                ${d.remediation.packages.map(
                  (p) =>
                    html`<tr>
                      <td>${p.name}</td>
                      <td><code>${p.installed}</code></td>
                      <td><code>${p.fixedVersion ?? '—'}</code></td>
                      <td>
                        ${p.fixes.join(', ')}${p.unfixed.length ? html` <span class="muted">(no fix: ${p.unfixed.join(', ')})</span>` : ''}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : ''
      }
    </section>
    ${
      d.notes?.length
        ? html`<section aria-labelledby="notes">
            <h2 id="notes">Notes</h2>
            <ul>
              ${d.notes.map((n) => html`<li><code>${n.code}</code> ${n.message}</li>`)}
            </ul>
          </section>`
        : ''
    }`;
}
