/**
 * The console's one static asset, kept in the code so the compiled CLI bundle (scripts/build.js)
 * carries it. Served from /static/console.css; the Content-Security-Policy allows styles from the
 * console's own origin and nothing inline.
 */
export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --panel: #f6f8fa; --bad: #b3261e; --warn: #9a6700; --ok: #1a7f37; --accent: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header.top .brand { font-weight: 700; }
header.top nav a { margin-right: .9rem; color: var(--fg); text-decoration: none; }
header.top nav a.here { font-weight: 700; text-decoration: underline; }
header.top .who { margin-left: auto; color: var(--muted); display: flex; gap: .6rem; align-items: center; }
main { padding: 1rem 1.2rem 3rem; max-width: 1200px; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: 12px; border: 1px solid var(--line); }
.badge.disabled, .badge.failed, .badge.failing, .badge.critical, .badge.high, .badge.interrupted { color: #fff; background: var(--bad); border-color: var(--bad); }
.badge.weak, .badge.off, .badge.held, .badge.medium, .badge.retrying, .badge.blocked, .badge.scheduled { color: #fff; background: var(--warn); border-color: var(--warn); }
.badge.enabled, .badge.ok, .badge.succeeded, .badge.sent { color: #fff; background: var(--ok); border-color: var(--ok); }
.muted { color: var(--muted); }
.notice { padding: .6rem .8rem; border: 1px solid var(--line); background: var(--panel); margin: .6rem 0; }
.notice.bad { border-color: var(--bad); }
.notice.good { border-color: var(--ok); }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .6rem; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.stack { display: grid; gap: .6rem; max-width: 36rem; }
input, select, button { font: inherit; padding: .25rem .4rem; }
button { cursor: pointer; border: 1px solid var(--line); background: var(--panel); border-radius: 4px; }
button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid var(--line); padding: .6rem .9rem; min-width: 10rem; }
.card .big { font-size: 1.6rem; font-weight: 700; }
figure.chart { margin: 0 0 1rem; max-width: 760px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 11px; }
svg .series { fill: none; stroke-width: 2; }
svg circle.series { stroke-width: 0; }
.s0 { stroke: #1b1f24; fill: #1b1f24; background: #1b1f24; } .s1 { stroke: #0b57d0; fill: #0b57d0; background: #0b57d0; }
.s2 { stroke: #1a7f37; fill: #1a7f37; background: #1a7f37; } .s3 { stroke: #9a6700; fill: #9a6700; background: #9a6700; }
.s4 { stroke: #8250df; fill: #8250df; background: #8250df; } .s5 { stroke: #b3261e; fill: #b3261e; background: #b3261e; }
.s6 { stroke: #0e7490; fill: #0e7490; background: #0e7490; } .s7 { stroke: #6e7781; fill: #6e7781; background: #6e7781; }
svg polyline.series { fill: none; }
ul.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; gap: 1rem; flex-wrap: wrap; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
ol.timeline { list-style: none; padding-left: 0; border-left: 2px solid var(--line); margin-left: .4rem; }
ol.timeline li { padding: .15rem .6rem; }
.calls li { font-family: ui-monospace, monospace; font-size: 12.5px; }
`;
