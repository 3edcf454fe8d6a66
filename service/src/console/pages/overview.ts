import { SEVERITIES } from '../../../../core/src/index.js';
import type { Overview } from '../../overview.js';
import { RISK_CATEGORIES } from '../../overview.js';
import { html, type SafeHtml } from '../html.js';
import { badge, shortDigest, toSpan, toTime } from '../layout.js';

const LABEL: Record<string, string> = {
  'system-vulnerability': 'System vulnerability',
  'application-vulnerability': 'Application vulnerability',
  'sensitive-file': 'Sensitive file',
  'malicious-sample': 'Malicious sample',
  baseline: 'Baseline',
  'build-instruction': 'Build instruction',
};
export const toCategoryLabel = (c: string): string => LABEL[c] ?? c;

/** Bars of findings per retained task, as SVG with a text equivalent (a table) for screen readers. */
function renderTrend(trend: Overview['trend']): SafeHtml {
  if (trend.length === 0) return html`<p class="muted">No tasks retained yet.</p>`;
  const totals = trend.map((t) => Object.values(t.findings).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const w = 600;
  const h = 140;
  const step = w / trend.length;
  const bars = trend.map((t, i) => {
    const bh = Math.round(((totals[i] ?? 0) / max) * (h - 20));
    return html`<rect
      class="bar"
      x="${Math.round(i * step + 2)}"
      y="${h - bh}"
      width="${Math.max(2, Math.round(step - 4))}"
      height="${bh}"
      ><title>${toTime(t.createdAt)}: ${totals[i]} findings</title></rect
    >`;
  });
  return html`<figure>
      <svg class="chart" viewBox="0 0 ${w} ${h + 2}" role="img" aria-labelledby="trend-cap">
        <line class="axis" x1="0" y1="${h}" x2="${w}" y2="${h}" />
        ${bars}
      </svg>
      <figcaption id="trend-cap">
        Findings recorded by each of the last ${trend.length} tasks (max ${max}).
      </figcaption>
    </figure>
    <details>
      <summary>Trend as a table</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Task started</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Findings</th>
          </tr>
        </thead>
        <tbody>
          ${trend.map(
            (t, i) =>
              html`<tr>
                <td><a href="/tasks/${t.id}">${toTime(t.createdAt)}</a></td>
                <td>${t.status}</td>
                <td class="num">${totals[i]}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>`;
}

/** Pods the webhook denied, as it recorded them (reasons already redacted there). */
function renderAdmissions(admissions: Overview['admissions']): SafeHtml {
  return html`<section aria-labelledby="ov-admissions">
    <h2 id="ov-admissions">Denied at admission</h2>
    <p class="muted">Newest pods the admission webhook refused, as it recorded them.</p>
    ${
      admissions.length === 0
        ? html`<p>No admission denial recorded.</p>`
        : html`<table>
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Namespace</th>
                <th scope="col">When</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              ${admissions.map(
                (a) =>
                  html`<tr>
                    <td>
                      ${a.digest ? html`<a href="/images/${a.digest}">${a.image}</a>` : a.image}
                      ${a.pod ? html`<span class="muted">(pod ${a.pod})</span>` : ''}
                    </td>
                    <td>${a.namespace}</td>
                    <td>${toTime(a.at)}</td>
                    <td>${a.reasons[0] ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

export function renderOverview(o: Overview): SafeHtml {
  const { byVerdict } = o.images;
  return html`<div class="grid">
      <section class="card" aria-labelledby="ov-images">
        <h2 id="ov-images">Images</h2>
        <p class="big">${o.images.total}</p>
        <p>
          ${badge('deny')} ${byVerdict.deny} · ${badge('warn')} ${byVerdict.warn} · ${badge('allow')}
          ${byVerdict.allow}
        </p>
      </section>
      <section class="card" aria-labelledby="ov-db">
        <h2 id="ov-db">Vulnerability DB</h2>
        ${
          o.db.builtAt
            ? html`<p class="big">${toSpan(o.db.ageMs ?? 0)} old</p>
                <p class="muted">updated ${toTime(o.db.builtAt)}</p>`
            : html`<p class="error">${o.db.error ?? 'unknown'}</p>`
        }
      </section>
      <section class="card" aria-labelledby="ov-tasks">
        <h2 id="ov-tasks">Tasks</h2>
        <p>
          Last:
          ${
            o.lastTask
              ? html`<a href="/tasks/${o.lastTask.id}">${toTime(o.lastTask.createdAt)}</a>
                  (${o.lastTask.status})`
              : 'none yet'
          }
        </p>
        <p>
          Next scheduled scan:
          ${o.schedule.nextScan ? toTime(o.schedule.nextScan) : html`<span class="muted">not scheduled</span>`}
        </p>
        <p>
          Next DB update:
          ${o.schedule.nextDbUpdate ? toTime(o.schedule.nextDbUpdate) : html`<span class="muted">not scheduled</span>`}
        </p>
      </section>
    </div>
    <section aria-labelledby="ov-risks">
      <h2 id="ov-risks">Findings by risk type and severity</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Risk type</th>
            ${SEVERITIES.map((s) => html`<th scope="col" class="num">${s}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${RISK_CATEGORIES.map(
            (c) =>
              html`<tr>
                <th scope="row">${toCategoryLabel(c)}</th>
                ${SEVERITIES.map((s) => html`<td class="num">${o.findings[c][s]}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    ${renderAdmissions(o.admissions)}
    <section aria-labelledby="ov-denied">
      <h2 id="ov-denied">Denied by the current policy</h2>
      <p class="muted">
        Newest stored images the current policy denies: what the admission webhook would answer for them now.
      </p>
      ${
        o.denied.length === 0
          ? html`<p>No stored image is denied.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Scanned</th>
                </tr>
              </thead>
              <tbody>
                ${o.denied.map(
                  (d) =>
                    html`<tr>
                      <td><a href="/images/${d.digest}">${d.reference}</a></td>
                      <td><code>${shortDigest(d.digest)}</code></td>
                      <td>${toTime(d.scannedAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    <section aria-labelledby="ov-trend">
      <h2 id="ov-trend">Trend</h2>
      ${renderTrend(o.trend)}
    </section>`;
}
