import type { ExceptionView } from '../../exceptions.js';
import type { toSettingsView } from '../../settings.js';
import { html, type SafeHtml } from '../html.js';
import { toSpan } from '../layout.js';

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export function renderSettings(s: ReturnType<typeof toSettingsView>): SafeHtml {
  const scan = s.scan as Record<string, unknown>;
  const retention = (scan.retention ?? {}) as { tasks?: string; vulnerabilities?: string };
  const row = (label: string, value: unknown): SafeHtml =>
    html`<tr>
      <th scope="row">${label}</th>
      <td>
        ${value === undefined ? html`<span class="muted">default</span>` : html`<code>${String(value)}</code>`}
      </td>
    </tr>`;
  return html`<p class="muted">Read from the policy file; change them there.</p>
    <h2 id="registries">Registries</h2>
    <table aria-labelledby="registries">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">URL</th>
          <th scope="col">Scope</th>
          <th scope="col">Auto-add new</th>
          <th scope="col">Throttle</th>
          <th scope="col">Credentials from</th>
        </tr>
      </thead>
      <tbody>
        ${s.registries.map(
          (r) =>
            html`<tr>
              <td>${r.name}</td>
              <td>${r.kind}</td>
              <td><code>${r.url}</code></td>
              <td>
                ${r.repositories?.include ? html`include <code>${r.repositories.include.join(', ')}</code>` : 'every repository'}${r.repositories?.exclude ? html`; exclude <code>${r.repositories.exclude.join(', ')}</code>` : ''}${r.tags?.latest ? `; latest ${r.tags.latest} tags` : ''}
              </td>
              <td>${r.autoAddNew ? 'yes' : 'no'}</td>
              <td>${r.throttle ? `${r.throttle.imagesPerHour} images/hour` : 'none'}</td>
              <td>${r.credentials ? r.credentials.join(', ') : '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2 id="scan">Scan</h2>
    <table aria-labelledby="scan">
      <tbody>
        ${row('Time range', scan.timeRange)} ${row('Timeout', scan.timeout)}
        ${row('Scanners', Array.isArray(scan.scanners) ? scan.scanners.join(', ') : undefined)}
        ${row('Schedule', scan.schedule)} ${row('DB update', scan.dbUpdate)}
        ${row('Time zone', scan.timezone)} ${row('Task retention', retention.tasks)}
        ${row('Vulnerability retention', retention.vulnerabilities)}
      </tbody>
    </table>`;
}

function scope(e: ExceptionView['entry']): SafeHtml {
  const parts: [string, string[]][] = [
    ['id', list(e.id)],
    ['type', list(e.type)],
    ['path', list(e.path)],
    [
      'package',
      e.package === undefined ? [] : [typeof e.package === 'string' ? e.package : JSON.stringify(e.package)],
    ],
    ['images', e.images ?? []],
    ['repositories', e.repositories ?? []],
    ['registries', e.registries ?? []],
    ['digest', list(e.digest)],
    ['namespaces', e.namespaces ?? []],
  ];
  return html`${parts
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => html`<div>${k}: <code>${v.join(', ')}</code></div>`)}`;
}

function expiry(x: ExceptionView): SafeHtml {
  if (x.entry.expires === undefined) return html`<span class="muted">never</span>`;
  const left = x.remainingMs ?? 0;
  const label =
    x.status === 'expired'
      ? html`<strong>expired</strong> ${toSpan(left)} ago`
      : x.status === 'expiring'
        ? html`<strong>expires soon</strong>, in ${toSpan(left)}`
        : html`in ${toSpan(left)}`;
  return html`<time datetime="${x.entry.expires}">${x.entry.expires}</time><br />${label}`;
}

export function renderExceptions(v: { expiryWarning: string; items: ExceptionView[] }): SafeHtml {
  return html`<p class="notice">
      Exceptions live in the policy file and are changed there (reviewed like code). This page never edits
      them: copy the YAML shown to add, renew or change one. Expiring soon means within
      <code>gates.expiryWarning</code> (${v.expiryWarning}).
    </p>
    ${v.items.length === 0 ? html`<p>The policy has no exceptions.</p>` : ''}
    <table>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Scope</th>
          <th scope="col">Owner</th>
          <th scope="col">Ticket</th>
          <th scope="col">Reason</th>
          <th scope="col">Expires</th>
          <th scope="col" class="num">Suppresses now</th>
          <th scope="col">YAML</th>
        </tr>
      </thead>
      <tbody>
        ${v.items.map(
          (x) =>
            html`<tr id="exception-${x.index}" class="${x.status}">
              <td>${x.index}</td>
              <td>${scope(x.entry)}</td>
              <td>${x.entry.owner ?? '—'}</td>
              <td>${x.entry.ticket ?? '—'}</td>
              <td>${x.entry.reason}</td>
              <td>${expiry(x)}</td>
              <td class="num">${x.suppressed} findings in ${x.images} images</td>
              <td>
                <details>
                  <summary>YAML for #${x.index}</summary>
                  <pre>${x.yaml}</pre>
                </details>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2 id="add">Add an exception</h2>
    <p>
      Append an entry like this under <code>exceptions:</code> in the policy file, then reload the service:
    </p>
    <pre>
exceptions:
  - id: CVE-YYYY-NNNN
    repositories: ["registry.example/team/app"]
    reason: why the risk is accepted
    owner: team-name
    ticket: SEC-123
    expires: YYYY-MM-DD</pre>`;
}
