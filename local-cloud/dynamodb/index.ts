import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { join } from 'node:path';
import dynalite from 'dynalite';

/**
 * DynamoDB is dynalite (a faithful DynamoDB implementation on LevelDB), mounted in-process
 * under the same endpoint. Tables go ACTIVE at once: there is nothing to provision locally.
 */
export class DynamoDbService {
  private readonly server: Server;
  private readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  private ready: Promise<void>;

  constructor(dataDir: string | null) {
    this.server = dynalite({
      path: dataDir ? join(dataDir, 'dynamodb') : undefined,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    this.handler = this.server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
    // dynalite only releases its LevelDB lock through server.close(), which needs a listening
    // server; so it listens on a private loopback port that nothing else uses.
    this.ready = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
  }

  /** True when the request is a DynamoDB call (awsJson with a DynamoDB target). */
  static accepts(target: string | undefined): boolean {
    return target !== undefined && target.startsWith('DynamoDB_');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.ready;
    this.handler(req, res);
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
