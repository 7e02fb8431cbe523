/** What `npm run bench` measured: the JSON it writes, and the one table it prints. */
import { bold, say } from '../../lib/output.ts';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BenchResults {
  /** ISO-8601, when the measured run began. */
  measuredAt: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
  settings: { rate: number; seconds: number; warmupSeconds: number; concurrency: number; stageThrottle: string };
  cloud: {
    /** startLocalCloud() alone. */
    readyMs: number;
    /** From this process's start (Node and every import included), as the tour's "ready" line counts. */
    readySinceProcessStartMs: number;
  };
  orders: {
    sent: number;
    accepted: number;
    /** Answers other than 202 (throttling, errors, no answer). */
    refused: number;
    /** Accepted orders found in the table. */
    recorded: number;
    /** Accepted orders not in the table when the count stopped growing. */
    lost: number;
    /** Table items beyond one per order, and orderIds the API gave twice. */
    duplicated: number;
    /** Accepted over the load generator's run (first request to last answer). */
    acceptedPerSecond: number;
    /** Recorded, from the first acceptance to the last record (the records' own times). */
    recordedPerSecond: number;
    /** Requests that left more than 100 ms late (the concurrency bound held them). */
    late: number;
  };
  latencyMs: {
    /** acceptedAt → recordedAt of each recorded order, from the item itself. */
    orderToRecord: Percentiles;
    /** POST /orders → its answer, at the load generator. */
    postToAnswer: { p50: number; p99: number };
  };
  cpuMsPerOrder: {
    /** The local cloud's process (with the benchmark's own bookkeeping in it). */
    main: number;
    /** The Lambda sandboxes (worker processes). */
    sandboxes: number;
    /** The load generator's process. */
    loadGenerator: number;
    total: number;
  };
  rawPutItem: { perSecond: number; puts: number; errors: number; seconds: number; concurrency: number };
  /** recordedPerSecond / rawPutItem.perSecond. */
  pipelineToRawRatio: number;
  memoryMb: {
    peak: number;
    peakMain: number;
    peakSandboxes: number;
    idle: number;
    idleMain: number;
    idleSandboxes: number;
    /** Sandboxes alive when idle was read. */
    sandboxes: number;
    /** The local cloud's process right after it started, before anything was deployed. */
    mainAtReady: number;
    /**
     * Once idle spare sandboxes were reclaimed: proportional set sizes (shared pages, such as
     * Node's own code in every worker, counted once), and RSS for comparison.
     */
    settled: { pss: number; pssMain: number; pssSandboxes: number; rss: number; sandboxes: number; waitedMs: number };
  };
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

/** The results as one table: what, the figure, and how to read it. */
export function printResults(r: BenchResults): void {
  const o = r.orders;
  const l = r.latencyMs.orderToRecord;
  const c = r.cpuMsPerOrder;
  const m = r.memoryMb;
  const rows: [string, string, string][] = [
    ['orders/s end to end', `${n1(o.acceptedPerSecond)} accepted, ${n1(o.recordedPerSecond)} recorded`, `target ${r.settings.rate}/s for ${r.settings.seconds} s`],
    ['orders', `${n0(o.sent)} sent, ${n0(o.accepted)} accepted, ${n0(o.recorded)} recorded`, `${n0(o.refused)} refused${o.late ? `, ${n0(o.late)} sent late` : ''}`],
    ['lost / duplicated', `${n0(o.lost)} / ${n0(o.duplicated)}`, '0 / 0 expected'],
    ['order → record', `p50 ${n0(l.p50)}  p95 ${n0(l.p95)}  p99 ${n0(l.p99)} ms`, `max ${n0(l.max)} ms; from the records' own times`],
    ['POST → answer', `p50 ${n0(r.latencyMs.postToAnswer.p50)}  p99 ${n0(r.latencyMs.postToAnswer.p99)} ms`, `at the load generator, ≤ ${r.settings.concurrency} open`],
    ['CPU ms per order', `${n2(c.total)} in total`, 'user + system, from each process\'s own accounting'],
    ['  main process', n2(c.main), 'the local cloud, and the benchmark\'s own watching'],
    ['  sandboxes', n2(c.sandboxes), 'Lambda worker processes, /proc/PID/stat'],
    ['  load generator', n2(c.loadGenerator), 'a process of its own: HTTP client, JSON'],
    ['raw PutItem', `${n0(r.rawPutItem.perSecond)}/s`, `${n0(r.rawPutItem.puts)} puts, ${r.rawPutItem.concurrency} open, same endpoint, SDK`],
    ['pipeline / raw', `${n1(r.pipelineToRawRatio * 100)} %`, 'recorded orders/s ÷ raw PutItem/s, at this rate'],
    ['RSS peak', `${n0(m.peak)} MB`, `main ${n0(m.peakMain)} + sandboxes ${n0(m.peakSandboxes)}`],
    ['RSS idle', `${n0(m.idle)} MB`, `main ${n0(m.idleMain)} + ${m.sandboxes} sandboxes ${n0(m.idleSandboxes)}; after the run`],
    [
      'memory, settled',
      `${n0(m.settled.pss)} MB PSS`,
      `main ${n0(m.settled.pssMain)} + ${m.settled.sandboxes} sandboxes ${n0(m.settled.pssSandboxes)} (RSS ${n0(m.settled.rss)} MB); idle spares gone after ${n1(m.settled.waitedMs / 1000)} s`,
    ],
    ['cloud ready', `${n0(r.cloud.readyMs)} ms`, `${n0(r.cloud.readySinceProcessStartMs)} ms since the process started; ${n0(m.mainAtReady)} MB`],
    ['machine', `${r.machine.cpus} CPUs, load ${r.machine.loadAverageBefore.map(n2).join(' ')}`, `${r.machine.loadAverageAfter.map(n2).join(' ')} after; Node ${r.machine.node}`],
  ];
  const width = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  for (const [label, value, note] of rows) {
    const line = `  ${label.padEnd(width[0])}  ${value.padEnd(width[1])}  ${note}`;
    say(label === 'orders/s end to end' || label === 'CPU ms per order' ? bold(line) : line);
  }
}
