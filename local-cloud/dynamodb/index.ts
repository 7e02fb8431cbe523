import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type dynalite from 'dynalite';
import type { BufferedRequest } from './authorize.ts';
import { writeJsonError } from '../protocol/awsJson.ts';
import { AwsError, commonErrors } from '../protocol/errors.ts';
import { hasProtoKey, jsonDepthExceeds } from '../protocol/json-depth.ts';
import { RealismProfile } from '../realism/profile.ts';
import { SERVICE_TIMING } from '../realism/service-timing.ts';
import { tagOnCreate, type TagStore } from './create-table-tags.ts';
import { answerOnceActive, type TableLookup } from './active-on-answer.ts';

/** The part of dynalite's store (db/index.js `create`) the cloud needs: its LevelDB, to close it. */
interface DynaliteStore extends TagStore, TableLookup {
  db: { close(callback: (err?: Error | null) => void): void };
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds dynalite's request handler without a listening server, and keeps the store it made.
 * dynalite returns an http.Server whose close() is the only way to release the LevelDB lock,
 * and that close() gives up before closing the store when the server never listened. Its store
 * comes from `require('dynalite/db').create`, so that function is wrapped for the one call.
 */
function mountDynalite(options: Parameters<typeof dynalite>[0]): { handler: RequestListener; store: DynaliteStore } {
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as typeof import('dynalite').default;
  const dbModule = require('dynalite/db/index.js') as { create: (o: unknown) => DynaliteStore };
  const create = dbModule.create;
  let store: DynaliteStore | undefined;
  dbModule.create = (o: unknown) => (store = create(o));
  let server: ReturnType<typeof dynalite>;
  try {
    server = dynalite(options);
  } finally {
    dbModule.create = create;
  }
  const handler = server.listeners('request')[0] as RequestListener | undefined;
  if (!store || !handler) throw new Error('dynalite changed: its store or request handler could not be found');
  return { handler, store };
}

/**
 * DynamoDB is dynalite (a faithful DynamoDB implementation on LevelDB), mounted truly in-process:
 * it listens nowhere, so every DynamoDB call comes through the cloud's endpoint and its checks.
 * Tables go ACTIVE at once: there is nothing to provision locally. Under the realism profile a
 * table stays CREATING (UPDATING, DELETING) for a while, as on AWS; dynalite then answers reads
 * and writes with ResourceNotFoundException "Requested resource not found", as AWS does.
 */
export class DynamoDbService {
  private readonly options: Parameters<typeof dynalite>[0];
  /** dynalite and its LevelDB, loaded at the first DynamoDB call: a cloud that starts never waits for them. */
  private mounted: { handler: RequestListener; store: DynaliteStore } | undefined;
  private closed: Promise<void> | undefined;

  constructor(dataDir: string | null, private readonly realism: RealismProfile = RealismProfile.off()) {
    this.options = {
      path: dataDir ? join(dataDir, 'dynamodb') : undefined,
      createTableMs: realism.ms(SERVICE_TIMING.tableCreate),
      deleteTableMs: realism.ms(SERVICE_TIMING.tableDelete),
      updateTableMs: realism.ms(SERVICE_TIMING.tableUpdate),
    };
  }

  private get dynalite(): { handler: RequestListener; store: DynaliteStore } {
    if (this.closed) throw commonErrors.internal('The local cloud is shutting down.');
    return (this.mounted ??= mountDynalite(this.options));
  }

  /** True when the request is a DynamoDB call (awsJson with a DynamoDB target). */
  static accepts(target: string | undefined): boolean {
    return target !== undefined && target.startsWith('DynamoDB_');
  }

  /**
   * Hands a request, read in full already, to dynalite. Refused first: nesting beyond DynamoDB's
   * 32 levels (dynalite walks it recursively) and "__proto__" as a key (dynalite copies keys into
   * plain objects, where that name would be lost or reach a prototype).
   */
  async handle(req: BufferedRequest, res: ServerResponse): Promise<void> {
    const text = req.body.toString('utf8');
    // An attribute level costs two JSON levels ({"M": {"name": ...}}); a few more for the request itself.
    if (jsonDepthExceeds(text, 2 * MAX_NESTING + 8)) {
      return writeDynamoDbError(res, validation('Nesting Levels have exceeded supported limits'));
    }
    if (hasProtoKey(text)) {
      return writeDynamoDbError(
        res,
        validation('The local cloud cannot store the name "__proto__" (as an attribute name or map key): choose another name.'),
      );
    }
    const { handler, store } = this.dynalite;
    if (req.headers['x-amz-target'] === 'DynamoDB_20120810.CreateTable') {
      tagOnCreate(store, text, res);
      if (!this.realism.enabled) answerOnceActive(store, text, res);
    }
    handler(req as unknown as IncomingMessage, res);
    try {
      req.deliver();
    } catch (err) {
      // A dynalite bug, not the client's doing: answer it rather than leave the request hanging.
      if (!res.headersSent) writeDynamoDbError(res, commonErrors.internal(String((err as Error).message)));
      else res.destroy();
    }
  }

  /** Closes the LevelDB store (waiting for operations under way), which releases its lock. */
  close(): Promise<void> {
    const mounted = this.mounted;
    return (this.closed ??= mounted
      ? new Promise<void>((resolve, reject) => mounted.store.db.close((err) => (err ? reject(err) : resolve())))
      : Promise.resolve());
  }
}

/** DynamoDB's limit on nested attribute levels. */
const MAX_NESTING = 32;

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

function writeDynamoDbError(res: ServerResponse, err: AwsError): void {
  const namespace = err.code === 'ValidationException' ? 'com.amazon.coral.validate' : 'com.amazon.coral.service';
  writeJsonError(res, { version: '1.0', errorNamespace: namespace }, randomUUID(), err);
}
