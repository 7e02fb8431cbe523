/** The benchmark's side of the load generator (load-generator.ts): starts it, asks, awaits. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadReply, OrdersProgress, OrdersRequest, OrdersResult, PutsRequest, PutsResult } from './load-messages.ts';

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks the generator (with this process's environment, so its SDK aims where ours does). */
  static async start(): Promise<LoadGenerator> {
    const child = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const generator = new LoadGenerator(child);
    await generator.next('ready');
    return generator;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async orders(request: Omit<OrdersRequest, 'kind'>, onProgress: (p: OrdersProgress) => void): Promise<OrdersResult> {
    const listener = (message: LoadReply) => {
      if (message.kind === 'progress') onProgress(message);
    };
    this.child.on('message', listener);
    try {
      this.child.send({ kind: 'orders', ...request } satisfies OrdersRequest);
      return await this.next('orders-done');
    } finally {
      this.child.off('message', listener);
    }
  }

  puts(request: Omit<PutsRequest, 'kind'>): Promise<PutsResult> {
    this.child.send({ kind: 'puts', ...request } satisfies PutsRequest);
    return this.next('puts-done');
  }

  /** Asks it to end, and waits until it has (it is killed if it does not within 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ kind: 'exit' });
    const killer = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(killer);
  }

  /** The next reply of this kind; rejects if the generator fails or ends first. */
  private next<K extends LoadReply['kind']>(kind: K): Promise<Extract<LoadReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      const onMessage = (message: LoadReply) => {
        if (message.kind === kind) {
          cleanup();
          resolve(message as Extract<LoadReply, { kind: K }>);
        } else if (message.kind === 'failed') {
          cleanup();
          reject(new Error(`the load generator failed: ${message.error}`));
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`the load generator ended (${signal ?? `exit code ${code}`}) before it answered`));
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
    });
  }
}
