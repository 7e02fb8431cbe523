/**
 * The per-stage latency report: how long orders spent in each stage of the pipeline, from the
 * stage times every recorded event carries (lib/order-events.ts). `npm run step:8` prints it for
 * the orders it sent; `npm run report` for any time window of the table; the tour for its run.
 */
import type { OrderEvent, StageTimes } from './order-events.ts';
import { bold, say } from './output.ts';

/** One span of the pipeline: from the time an order passed one stage to the time it passed another. */
export interface Span {
  label: string;
  from: keyof StageTimes;
  to: keyof StageTimes;
  /** What happens in it, for the printed report. */
  what: string;
}

export const SPANS: readonly Span[] = [
  { label: 'intake → queue', from: 'acceptedAt', to: 'queuedAt', what: 'validate, SendMessage' },
  { label: 'queue → monitor', from: 'queuedAt', to: 'processedAt', what: 'waiting in SQS, the poller' },
  { label: 'monitor → publish', from: 'processedAt', to: 'publishedAt', what: 'read the order, build the update' },
  { label: 'publish → record', from: 'publishedAt', to: 'recordedAt', what: 'Publish, SNS delivery, async invoke, PutItem' },
  { label: 'end to end', from: 'acceptedAt', to: 'recordedAt', what: 'accepted by intake → in the table' },
];

export interface SpanStats {
  label: string;
  what: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LatencyReport {
  /** Events with all five stage times (the ones the spans are measured on). */
  events: number;
  /** Distinct orders among them. */
  orders: number;
  /** Events without every stage time (written by something else than the pipeline): left out. */
  incomplete: number;
  spans: SpanStats[];
  /** Epoch ms: the first acceptance and the last record among the events. */
  firstAcceptedAt: number;
  lastRecordedAt: number;
  /** Orders recorded per second, from the first acceptance to the last record. */
  throughputPerSecond: number;
}

/**
 * The p-th percentile of ascending `sorted` values, by nearest rank: the smallest value that at
 * least p % of the values do not exceed. With 20 values, p95 is the 19th and p99 the 20th (the
 * maximum): a tail percentile needs many samples to mean more than "the slowest one".
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const hasAllTimes = (event: OrderEvent): boolean =>
  SPANS.every((span) => Number.isFinite(event.times?.[span.from]) && Number.isFinite(event.times?.[span.to]));

/** The report for these events; undefined when none of them has every stage time. */
export function latencyReport(events: readonly OrderEvent[]): LatencyReport | undefined {
  const complete = events.filter(hasAllTimes);
  if (complete.length === 0) return undefined;
  const spans = SPANS.map((span) => {
    const values = complete.map((e) => e.times[span.to] - e.times[span.from]).sort((a, b) => a - b);
    return {
      label: span.label,
      what: span.what,
      count: values.length,
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
      max: values[values.length - 1],
    };
  });
  const firstAcceptedAt = Math.min(...complete.map((e) => e.times.acceptedAt));
  const lastRecordedAt = Math.max(...complete.map((e) => e.times.recordedAt));
  const orders = new Set(complete.map((e) => e.orderId)).size;
  // At least 1 ms, so a single order does not divide by zero.
  const seconds = Math.max(1, lastRecordedAt - firstAcceptedAt) / 1000;
  return {
    events: complete.length,
    orders,
    incomplete: events.length - complete.length,
    spans,
    firstAcceptedAt,
    lastRecordedAt,
    throughputPerSecond: orders / seconds,
  };
}

/** Milliseconds for a latency column: "7 ms", "1.24 s". */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

/** "14:03:22.120" (UTC): the time of day, to the millisecond. */
export const clock = (epochMs: number): string => new Date(epochMs).toISOString().slice(11, 23);

/** The report as a table, then the throughput line. */
export function printLatencyReport(report: LatencyReport): void {
  const labelWidth = Math.max(...report.spans.map((s) => s.label.length));
  const column = (text: string) => text.padStart(9);
  say(`  ${'stage'.padEnd(labelWidth)}${['p50', 'p95', 'p99', 'max'].map(column).join('')}   what happens there`);
  for (const span of report.spans) {
    const line = `  ${span.label.padEnd(labelWidth)}${[span.p50, span.p95, span.p99, span.max].map((v) => column(ms(v))).join('')}   ${span.what}`;
    say(span.label === 'end to end' ? bold(line) : line);
  }
  const first = new Date(report.firstAcceptedAt).toISOString();
  const span = ms(report.lastRecordedAt - report.firstAcceptedAt);
  say(
    `  ${report.orders} order${report.orders === 1 ? '' : 's'} (${report.events} event${report.events === 1 ? '' : 's'}), ` +
      `first accepted ${first}, all recorded ${span} later: ${report.throughputPerSecond.toFixed(1)} orders/s`,
  );
  if (report.incomplete > 0) say(`  (${report.incomplete} event(s) without every stage time left out)`);
}

/** One line for summaries: "end to end p50 41 ms, p99 180 ms (20 orders)". */
export function summaryLine(report: LatencyReport): string {
  const endToEnd = report.spans.find((s) => s.label === 'end to end')!;
  return `order → record p50 ${ms(endToEnd.p50)}, p95 ${ms(endToEnd.p95)}, p99 ${ms(endToEnd.p99)}, max ${ms(endToEnd.max)} (${report.orders} orders, ${report.throughputPerSecond.toFixed(1)} orders/s)`;
}
