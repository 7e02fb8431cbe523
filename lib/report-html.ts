/**
 * The latency report as one self-contained page (`npm run report -- --html FILE`): the text
 * report's table, the per-stage latency distributions and the throughput over time, drawn by
 * Chart.js. The data and the library are inlined, so the page opens from disk with no network.
 */
import { readFileSync } from 'node:fs';
import { chartLibraryFile, latencyChartScript } from '../local-cloud/dashboard/static-files.ts';
import { SPANS, clock, ms, type LatencyReport } from './latency-report.ts';
import type { OrderEvent } from './order-events.ts';

export interface ReportPageInput {
  report: LatencyReport;
  events: readonly OrderEvent[];
  window: { from: Date; to: Date };
  tableName: string;
  /** Where the table was read: "local cloud", "AWS (eu-west-1)", … */
  where: string;
  now?: Date;
}

/** Widths of a throughput interval: the smallest that keeps the chart under MAX_POINTS points. */
const INTERVALS: [number, string][] = [
  [1_000, 'second'], [5_000, '5 seconds'], [10_000, '10 seconds'], [30_000, '30 seconds'], [60_000, 'minute'],
  [300_000, '5 minutes'], [900_000, '15 minutes'], [3_600_000, 'hour'], [21_600_000, '6 hours'], [86_400_000, 'day'],
];
const MAX_POINTS = 60;

/** Orders recorded per interval, from the first record to the last (empty intervals included). */
export function throughputSeries(recordedAt: readonly number[]): { intervalMs: number; label: string; points: { t: number; count: number }[] } {
  const first = Math.min(...recordedAt);
  const last = Math.max(...recordedAt);
  const [intervalMs, label] = INTERVALS.find(([width]) => (last - first) / width < MAX_POINTS) ?? INTERVALS[INTERVALS.length - 1];
  const start = Math.floor(first / intervalMs) * intervalMs;
  const points = Array.from({ length: Math.floor((last - start) / intervalMs) + 1 }, (_, i) => ({ t: start + i * intervalMs, count: 0 }));
  for (const t of recordedAt) points[Math.floor((t - start) / intervalMs)].count++;
  return { intervalMs, label, points };
}

export function reportHtml(input: ReportPageInput): string {
  const { report, window, tableName, where } = input;
  const complete = input.events.filter((e) => SPANS.every((s) => Number.isFinite(e.times?.[s.from]) && Number.isFinite(e.times?.[s.to])));
  const throughput = throughputSeries(complete.map((e) => e.times.recordedAt));
  const data = {
    spans: SPANS.map((span) => ({ label: span.label, values: complete.map((e) => e.times[span.to] - e.times[span.from]) })),
    throughput: throughput.points,
    interval: throughput.label,
  };
  const title = `Latency report: ${tableName}`;
  const rows = report.spans
    .map((s) => `<tr${s.label === 'end to end' ? ' class="total"' : ''}><th>${esc(s.label)}</th>${[s.p50, s.p95, s.p99, s.max].map((v) => `<td>${esc(ms(v))}</td>`).join('')}<td class="what">${esc(s.what)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>
body { margin: 0; padding: 20px 28px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; background: #f0f4f8; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 8px; }
.sub { color: #616e7c; margin: 0 0 16px; }
.card { background: #fff; border-radius: 10px; padding: 14px 16px; margin-bottom: 16px; box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
table { border-collapse: collapse; } th, td { padding: 4px 12px; text-align: right; border-bottom: 1px solid #eef1f4; }
th:first-child, td.what { text-align: left; } td.what { color: #616e7c; } tr.total { font-weight: 600; }
.chart { position: relative; height: 340px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="sub">${esc(where)} · ${esc(window.from.toISOString())} → ${esc(window.to.toISOString())} · made ${esc((input.now ?? new Date()).toISOString())}</p>
<section class="card">
<h2>Per stage</h2>
<table>
<thead><tr><th>stage</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>${report.orders} order${report.orders === 1 ? '' : 's'} (${report.events} event${report.events === 1 ? '' : 's'}), first accepted at ${esc(clock(report.firstAcceptedAt))} UTC, all recorded ${esc(ms(report.lastRecordedAt - report.firstAcceptedAt))} later: ${report.throughputPerSecond.toFixed(1)} orders/s${report.incomplete > 0 ? ` (${report.incomplete} event(s) without every stage time left out)` : ''}.</p>
</section>
<section class="card"><h2>Latency distribution per stage</h2><div class="chart"><canvas id="latency"></canvas></div></section>
<section class="card"><h2>Throughput over time</h2><div class="chart"><canvas id="throughput"></canvas></div></section>
<script type="application/json" id="report-data">${inlineText(JSON.stringify(data))}</script>
<script>${inlineText(readFileSync(chartLibraryFile(), 'utf8'))}</script>
<script>${inlineText(latencyChartScript())}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  window.reportCharts = {
    latency: LatencyCharts.histogram(document.getElementById('latency'), data.spans, { animation: false }),
    throughput: LatencyCharts.throughput(document.getElementById('throughput'), data.throughput, data.interval, { animation: false }),
  };
})();
</script>
</body>
</html>
`;
}

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text placed inside a <script> element: nothing in it may close the element or open a comment. */
function inlineText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
