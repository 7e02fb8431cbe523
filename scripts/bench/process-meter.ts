/**
 * CPU and resident memory of the local cloud's process and of its Lambda sandboxes (worker
 * processes), from the processes' own accounting. Sandboxes come and go; the meter samples them
 * every few hundred ms and keeps the last CPU reading of each, so one that ends between two
 * samples loses at most its last interval.
 */
import { cpuMsOf, pssBytesOf, rssBytesOf } from './proc.ts';

export interface CpuReading {
  /** This process: the local cloud, with everything else that runs in it (see bench.ts). */
  mainMs: number;
  /** Every sandbox seen so far, together. */
  sandboxesMs: number;
}

export interface RssReading {
  mainBytes: number;
  sandboxesBytes: number;
  sandboxes: number;
}

/** Proportional set sizes (see proc.ts): what the processes hold together, shared pages counted once. */
export type PssReading = RssReading;

export class ProcessMeter {
  /** The last CPU reading (ms) of every sandbox pid seen. */
  private readonly sandboxCpu = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private peak: RssReading | undefined;

  /** `sandboxPids` lists the sandboxes alive now. */
  constructor(private readonly sandboxPids: () => number[]) {}

  /** Samples every `intervalMs` until stop(). */
  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** CPU used so far, read now. */
  cpu(): CpuReading {
    this.sample();
    const { user, system } = process.cpuUsage();
    let sandboxesMs = 0;
    for (const ms of this.sandboxCpu.values()) sandboxesMs += ms;
    return { mainMs: (user + system) / 1000, sandboxesMs };
  }

  /** Resident memory now. */
  rss(): RssReading {
    return this.sample();
  }

  /** Proportional memory now (read on demand: the kernel walks each process's page tables for it). */
  pss(): PssReading {
    let sandboxesBytes = 0;
    let sandboxes = 0;
    for (const pid of this.sandboxPids()) {
      const pss = pssBytesOf(pid);
      if (pss === undefined) continue;
      sandboxesBytes += pss;
      sandboxes++;
    }
    return { mainBytes: pssBytesOf(process.pid) ?? 0, sandboxesBytes, sandboxes };
  }

  /** The largest total seen since the last resetPeak() (or the start). */
  peakRss(): RssReading {
    this.sample();
    return this.peak!;
  }

  resetPeak(): void {
    this.peak = undefined;
    this.sample();
  }

  private sample(): RssReading {
    let sandboxesBytes = 0;
    let sandboxes = 0;
    for (const pid of this.sandboxPids()) {
      const cpuMs = cpuMsOf(pid);
      const rss = rssBytesOf(pid);
      if (cpuMs !== undefined) this.sandboxCpu.set(pid, cpuMs);
      if (rss !== undefined) {
        sandboxesBytes += rss;
        sandboxes++;
      }
    }
    const reading = { mainBytes: rssBytesOf(process.pid) ?? process.memoryUsage.rss(), sandboxesBytes, sandboxes };
    const total = (r: RssReading) => r.mainBytes + r.sandboxesBytes;
    if (!this.peak || total(reading) > total(this.peak)) this.peak = reading;
    return reading;
  }
}
