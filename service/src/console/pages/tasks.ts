import {
  FINAL_STATUSES,
  SEVERITIES,
  type TaskLogEntry,
  type TaskRecord,
} from '../../../../core/src/index.js';
import { html, type SafeHtml } from '../html.js';
import { badge, shortDigest, toTime } from '../layout.js';
import type { ConsoleSession } from '../session.js';

const isRunning = (t: TaskRecord): boolean => !FINAL_STATUSES.includes(t.status);

function progress(t: TaskRecord): SafeHtml {
  const p = t.progress;
  const done = p.scanned + p.skipped + p.failed + p.notScanned;
  return html`<progress max="${Math.max(1, p.inScope)}" value="${done}" aria-label="Task ${t.id} progress">
      ${done}/${p.inScope}
    </progress>
    ${done}/${p.inScope}
    <span class="muted"
      >(${p.scanned} scanned, ${p.failed} failed, ${p.skipped}
      skipped${p.notScanned ? `, ${p.notScanned} not scanned` : ''})</span
    >`;
}

export function renderTaskList(tasks: TaskRecord[], session: ConsoleSession): SafeHtml {
  return html`${session.principal.role === 'admin' ? html`<p><a href="/scan">Start a scan now</a></p>` : ''}
    <table>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Trigger</th>
          <th scope="col">Registries</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        ${tasks.map(
          (t) =>
            html`<tr>
              <td><a href="/tasks/${t.id}">${toTime(t.createdAt)}</a></td>
              <td>${t.trigger}</td>
              <td>${t.scope.registries.join(', ') || '—'}</td>
              <td>${t.status}${t.cancelRequested && isRunning(t) ? ' (cancelling)' : ''}</td>
              <td>${progress(t)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${tasks.length === 0 ? html`<p>No tasks yet.</p>` : ''}`;
}

function findings(e: TaskLogEntry): SafeHtml | string {
  if (!e.findings) return '—';
  const nonZero = SEVERITIES.filter((s) => (e.findings?.[s] ?? 0) > 0);
  return nonZero.length === 0 ? 'none' : html`${nonZero.map((s) => html`${badge(s)} ${e.findings?.[s]} `)}`;
}

export function renderTaskDetail(t: TaskRecord, log: TaskLogEntry[], session: ConsoleSession): SafeHtml {
  const canCancel = session.principal.role === 'admin' && isRunning(t) && !t.cancelRequested;
  return html`<dl class="grid">
      <div>
        <dt>Status</dt>
        <dd id="task-status">${t.status}${t.cancelRequested && isRunning(t) ? ' (cancel requested)' : ''}</dd>
      </div>
      <div>
        <dt>Trigger</dt>
        <dd>${t.trigger}</dd>
      </div>
      <div>
        <dt>Registries</dt>
        <dd>${t.scope.registries.join(', ') || '—'}</dd>
      </div>
      <div>
        <dt>Scanners</dt>
        <dd>${t.scope.scanners.join(', ')}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>${toTime(t.createdAt)}</dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd>${toTime(t.finishedAt)}</dd>
      </div>
    </dl>
    <p aria-live="polite">${progress(t)}</p>
    ${t.error ? html`<p class="error">${t.error}</p>` : ''}
    ${
      canCancel
        ? html`<form method="post" action="/tasks/${t.id}/cancel">
            <input type="hidden" name="_csrf" value="${session.csrf}" />
            <button type="submit" class="danger">Cancel task</button>
          </form>`
        : ''
    }
    <h2 id="log">Execution log (${log.length})</h2>
    <table aria-labelledby="log" id="task-log">
      <thead>
        <tr>
          <th scope="col">Image</th>
          <th scope="col">Registry</th>
          <th scope="col">Outcome</th>
          <th scope="col">Cause</th>
          <th scope="col" class="num">Duration</th>
          <th scope="col">Findings</th>
          <th scope="col">Used by</th>
          <th scope="col">At</th>
        </tr>
      </thead>
      <tbody>
        ${log.map(
          (e) =>
            html`<tr>
              <td>
                ${e.digest ? html`<a href="/images/${e.digest}">${e.reference}</a>` : e.reference}${e.digest ? html`<br /><code class="muted">${shortDigest(e.digest)}</code>` : ''}
              </td>
              <td>${e.registry}</td>
              <td>${e.outcome}</td>
              <td>${e.cause ?? ''}${e.code ? html` <code>${e.code}</code>` : ''}</td>
              <td class="num">${(e.durationMs / 1000).toFixed(1)} s</td>
              <td>${findings(e)}</td>
              <td>${(e.usedBy ?? []).join(', ')}</td>
              <td>${toTime(e.at)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export { isRunning as isTaskRunning };

/** The Scan Now form (the seed's Quick Scan dialog): registries, runtime scan, scanners. */
export function renderScanForm(
  registries: { name: string; url: string }[],
  scanners: readonly string[],
  session: ConsoleSession,
  runtimeAvailable: boolean,
): SafeHtml {
  return html`<form method="post" action="/scan" class="stack">
    <input type="hidden" name="_csrf" value="${session.csrf}" />
    <fieldset>
      <legend>Registries (none chosen: all)</legend>
      ${registries.map(
        (r) =>
          html`<label class="check"
            ><input type="checkbox" name="registries" value="${r.name}" /> ${r.name}
            <span class="muted">${r.url}</span></label
          >`,
      )}
      ${registries.length === 0 ? html`<p class="muted">The policy lists no registries.</p>` : ''}
    </fieldset>
    <fieldset>
      <legend>Runtime scan</legend>
      <label class="check"
        ><input type="checkbox" name="runtime" value="true" ${runtimeAvailable ? '' : html`disabled`} /> Scan
        the images of running pods
        instead${runtimeAvailable ? '' : ' (no Kubernetes access configured)'}</label
      >
    </fieldset>
    <fieldset>
      <legend>Scanners (none chosen: the policy's)</legend>
      ${scanners.map((s) => html`<label class="check"><input type="checkbox" name="scanners" value="${s}" /> ${s}</label>`)}
    </fieldset>
    <div><button type="submit">Scan now</button></div>
  </form>`;
}
