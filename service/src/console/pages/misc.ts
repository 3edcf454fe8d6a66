import type { AffectedReport } from '../../affected.js';
import type { WorkloadSighting } from '../../workloads.js';
import { html, type SafeHtml } from '../html.js';
import { shortDigest } from '../layout.js';

export function renderSignIn(message?: string): SafeHtml {
  return html`${message ? html`<p class="error" role="alert">${message}</p>` : ''}
    <form method="post" action="/sign-in" class="stack">
      <label
        >API token
        <input type="password" name="token" autocomplete="current-password" required autofocus />
      </label>
      <p class="muted">
        A token from the service's tokens file (role read or admin). It is checked once and not kept: the
        browser gets a session cookie.
      </p>
      <div><button type="submit">Sign in</button></div>
    </form>`;
}

export function renderAffected(
  id: string,
  report: AffectedReport | undefined,
  workloads: Map<string, WorkloadSighting[]>,
): SafeHtml {
  return html`<form
      method="get"
      action="/affected"
      class="filters"
      role="search"
      aria-label="Find affected images"
    >
      <label
        >Advisory or CVE id <input name="id" value="${id}" placeholder="CVE-2024-1234 or GHSA-…" required
      /></label>
      <button type="submit">Search</button>
    </form>
    ${
      report
        ? html`<p role="status">
              ${report.images.length} image${report.images.length === 1 ? '' : 's'} in
              ${report.repositories.length} repositor${report.repositories.length === 1 ? 'y' : 'ies'} have
              ${report.id}.
            </p>
            ${
              report.repositories.length
                ? html`<h2 id="repos">Repositories</h2>
                    <ul>
                      ${report.repositories.map((r) => html`<li>${r}</li>`)}
                    </ul>`
                : ''
            }
            ${
              report.images.length
                ? html`<h2 id="imgs">Images</h2>
                    <table aria-labelledby="imgs">
                      <thead>
                        <tr>
                          <th scope="col">Image</th>
                          <th scope="col">Digest</th>
                          <th scope="col">Package</th>
                          <th scope="col">Fixed in</th>
                          <th scope="col">Running in</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${report.images.map(
                          (i) =>
                            html`<tr>
                              <td><a href="/images/${i.digest}">${i.reference}</a></td>
                              <td><code>${shortDigest(i.digest)}</code></td>
                              <td>
                                ${i.packages.map((p) => html`<div>${p.name} <code>${p.version}</code> <span class="muted">${p.ecosystem}</span></div>`)}
                              </td>
                              <td>
                                ${i.packages.map((p) => html`<div>${p.fixedVersion ? html`<code>${p.fixedVersion}</code>` : 'no fix'}</div>`)}
                              </td>
                              <td>
                                ${(workloads.get(i.digest) ?? []).map((w) => html`<div><code>${w.workload}</code></div>`)}
                              </td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                    <p class="muted">Running in: pods the newest runtime scans saw using the image.</p>`
                : ''
            }`
        : ''
    }`;
}

export function renderError(status: number, message: string): SafeHtml {
  return html`<p class="error" role="alert">${message}</p>
    <p>
      ${status === 401 ? html`<a href="/sign-in">Sign in</a>` : html`<a href="/overview">Back to the overview</a>`}
    </p>`;
}
