import { TOOL_VERSION } from '../../../core/src/index.js';
import { html, type SafeHtml } from './html.js';
import type { ConsoleSession } from './session.js';

/** The navigation, in page order; `admin` pages are hidden from read tokens. */
const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/overview', label: 'Overview' },
  { href: '/images', label: 'Images' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/scan', label: 'Scan Now', admin: true },
  { href: '/affected', label: 'Affected' },
  { href: '/exceptions', label: 'Exceptions' },
  { href: '/settings', label: 'Settings' },
];

export interface PageOptions {
  title: string;
  session?: ConsoleSession;
  /** The nav entry to mark as the current page. */
  active?: string;
  /** `data-live` on <main>: the client script polls the page while this is "running". */
  live?: string;
}

/** A whole page: skip link, banner with navigation and sign-out, one <main>, the stylesheet and script. */
export function renderPage(opts: PageOptions, body: SafeHtml): SafeHtml {
  const s = opts.session;
  const nav = s
    ? html`<nav aria-label="Console">
          <ul>
            ${NAV.filter((n) => !n.admin || s.principal.role === 'admin').map(
              (n) =>
                html`<li>
                  <a href="${n.href}" ${n.href === opts.active ? html`aria-current="page"` : ''}
                    >${n.label}</a
                  >
                </li>`,
            )}
          </ul>
        </nav>
        <form method="post" action="/sign-out" class="signout">
          <input type="hidden" name="_csrf" value="${s.csrf}" />
          <span class="who">${s.principal.name} (${s.principal.role})</span>
          <button type="submit">Sign out</button>
        </form>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${opts.title} · Portcullis</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script type="module" src="/assets/console.js"></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="banner">
          <a class="brand" href="/overview">Portcullis</a>
          ${nav}
        </header>
        <main id="main" tabindex="-1" ${opts.live ? html`data-live="${opts.live}"` : ''}>
          <h1>${opts.title}</h1>
          ${body}
        </main>
        <footer class="foot">Portcullis ${TOOL_VERSION} · data from <code>/api/v1</code></footer>
      </body>
    </html>`;
}

const SEVERITY_CLASS = new Set(['critical', 'high', 'medium', 'low', 'unknown']);

/** A severity or verdict as a labelled badge (text, not colour alone, carries the meaning). */
export function badge(value: string): SafeHtml {
  const cls = SEVERITY_CLASS.has(value) || ['allow', 'warn', 'deny'].includes(value) ? value : 'other';
  return html`<span class="badge b-${cls}">${value}</span>`;
}

/** `2026-12-06 23:10 UTC` */
export function toTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `3d 4h`, `25m`, `40s` */
export function toSpan(ms: number): string {
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${Math.round(abs / 1000)}s`;
}

/** A short digest for tables: `sha256:0123abcd…` */
export const shortDigest = (d: string): string => d.replace(/^(\w+:[0-9a-f]{12})[0-9a-f]+$/, '$1…');
