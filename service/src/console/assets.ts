import { createHash } from 'node:crypto';

/**
 * The console's stylesheet and its one script, served from the service itself (no CDN: the console works
 * air-gapped and the CSP allows 'self' only). Kept as strings so the bundled CLI carries them too.
 */
export const CONSOLE_CSS = `
:root { --fg:#1b1f24; --muted:#4a5361; --bg:#ffffff; --panel:#f4f6f8; --line:#c9d1d9; --link:#0b5cad;
  --crit:#8b0a12; --high:#a3330a; --med:#6b5200; --low:#245b2c; --ok:#1d6b33; --warn:#7a5200; --deny:#9b1c1c; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--link); }
a:focus, button:focus, input:focus, select:focus, summary:focus, main:focus { outline:3px solid #f5a623; outline-offset:2px; }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.5rem; }
.skip:focus { left:.5rem; z-index:2; }
.banner { display:flex; flex-wrap:wrap; align-items:center; gap:1rem; padding:.5rem 1.25rem; background:#102a43; color:#fff; }
.banner a { color:#fff; }
.brand { font-weight:700; font-size:1.1rem; text-decoration:none; }
nav ul { display:flex; flex-wrap:wrap; gap:.25rem; list-style:none; margin:0; padding:0; }
nav a { display:block; padding:.35rem .6rem; border-radius:4px; text-decoration:none; }
nav a[aria-current="page"] { background:#fff; color:#102a43; font-weight:600; }
.signout { margin-left:auto; display:flex; gap:.5rem; align-items:center; }
.who { font-size:.9rem; }
main { padding:1rem 1.25rem 2rem; max-width:1600px; margin:0 auto; }
h1 { font-size:1.5rem; margin:.25rem 0 1rem; }
h2 { font-size:1.2rem; margin:1.5rem 0 .5rem; }
h3 { font-size:1.05rem; margin:1rem 0 .4rem; }
table { border-collapse:collapse; width:100%; margin:.5rem 0 1rem; font-size:.92rem; }
th, td { border-bottom:1px solid var(--line); padding:.35rem .5rem; text-align:left; vertical-align:top; }
td:first-child { overflow-wrap:anywhere; }
.badge { white-space:nowrap; }
th { background:var(--panel); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, pre { font-family:ui-monospace, Menlo, Consolas, monospace; font-size:.88rem; }
pre { background:var(--panel); padding:.6rem; overflow-x:auto; white-space:pre-wrap; word-break:break-all; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:1rem; }
.card { border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; background:#fff; }
.card h2 { margin-top:0; font-size:1.05rem; }
.big { font-size:1.6rem; font-weight:700; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:0 .45rem; border-radius:10px; font-size:.82rem; font-weight:600; border:1px solid currentColor; }
.b-critical { color:var(--crit); } .b-high { color:var(--high); } .b-medium { color:var(--med); } .b-low { color:var(--low); }
.b-unknown, .b-other { color:var(--muted); } .b-allow { color:var(--ok); } .b-warn { color:var(--warn); } .b-deny { color:var(--deny); }
tr.expired td { background:#fde8e8; } tr.expiring td { background:#fff4d6; }
.filters { display:flex; flex-wrap:wrap; gap:.75rem; align-items:end; background:var(--panel); padding:.6rem .8rem; border-radius:6px; }
.filters label, form.stack label { display:flex; flex-direction:column; font-size:.88rem; gap:.15rem; }
input, select, button { font:inherit; padding:.3rem .5rem; border:1px solid #6b7785; border-radius:4px; background:#fff; color:var(--fg); }
button { background:#0b5cad; color:#fff; border-color:#0b5cad; cursor:pointer; }
button.danger { background:#9b1c1c; border-color:#9b1c1c; }
fieldset { border:1px solid var(--line); border-radius:6px; margin:0 0 1rem; }
form.stack { display:flex; flex-direction:column; gap:.6rem; max-width:40rem; }
.check { flex-direction:row !important; align-items:center; gap:.4rem !important; }
.pager { display:flex; gap:1rem; align-items:center; }
.error { border-left:4px solid var(--deny); background:#fde8e8; padding:.5rem .75rem; }
.notice { border-left:4px solid var(--link); background:#e7f0fa; padding:.5rem .75rem; }
.chart { width:100%; max-width:640px; height:auto; }
.chart .bar { fill:#0b5cad; } .chart .axis { stroke:#4a5361; } .chart text { fill:#1b1f24; font-size:10px; }
details summary { cursor:pointer; color:var(--link); }
.foot { padding:1rem 1.25rem; color:var(--muted); font-size:.85rem; border-top:1px solid var(--line); }
@media (min-width: 1800px) { body { font-size:16px; } main { max-width:2000px; } }
`;

/**
 * Progressive enhancement only: every page works without it. A page whose <main> says data-live="running"
 * (a task still going) is re-fetched every second and its main content swapped, so the log fills in live;
 * it stops once the task has ended. Same-origin fetch only (the CSP's connect-src is 'self').
 */
export const CONSOLE_JS = `
const POLL_MS = 1000;
async function poll() {
  const main = document.querySelector('main[data-live="running"]');
  if (!main) return;
  try {
    const res = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.querySelector('main');
    if (!next) return;
    const focused = document.activeElement && document.activeElement.id;
    main.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
    main.dataset.live = next.dataset.live || 'ended';
    if (focused) document.getElementById(focused)?.focus();
  } catch {
    // the next tick retries
  }
  setTimeout(poll, POLL_MS);
}
setTimeout(poll, POLL_MS);
`;

const etag = (text: string): string =>
  `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
export const CONSOLE_CSS_ETAG = etag(CONSOLE_CSS);
export const CONSOLE_JS_ETAG = etag(CONSOLE_JS);
