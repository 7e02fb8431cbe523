import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { CodeStore } from '../../local-cloud/lambda/code.ts';
import { checkUploadSize, CODE_SIZE_UNZIPPED, CODE_SIZE_ZIPPED } from '../../local-cloud/lambda/code/limits.ts';
import { discardEntries, readZip } from '../../local-cloud/lambda/code/read-zip.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole, deployFunction, fixture, payloadOf, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * Lambda's code quotas and safe unpacking: zip bombs refused as they stream (flat memory, a free
 * event loop, nothing written), entry names and symlinks that would leave the task folder refused,
 * and start-up clearing what an interrupted unpack left.
 */
const MB = 1024 * 1024;
const CANNOT_UNZIP = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
const TOO_BIG_UNZIPPED = 'Unzipped size must be smaller than 262144000 bytes';

let cloud: TestCloud;
let lambda: LambdaClient;
let role: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'code-limits-role');
});
afterAll(() => cloud?.close());

// ---- building zips by hand (sizes can be made to lie; symlinks carry Unix attributes) ----

interface RawEntry {
  name: string;
  /** The entry's bytes as stored in the archive. */
  data: Uint8Array;
  method: 0 | 8;
  crc: number;
  /** The uncompressed size the headers state. */
  declaredSize: number;
  /** Unix mode (file type and permissions), written as Unix external attributes. */
  unixMode?: number;
}

function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(entry.unixMode === undefined ? 20 : (3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(entry.method, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.unixMode ?? 0) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(entry.data));
    directory.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directoryBytes, end]);
}

/**
 * `megabytes` MB of zeros, deflated without ever holding them: 1 MB compressed with a full flush
 * (which resets the window) gives the same bytes each time, so the stream is that block repeated.
 */
function deflatedZeros(megabytes: number): { data: Buffer; crc: number; size: number } {
  const zeros = Buffer.alloc(MB);
  const block = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0));
  let crc = 0;
  for (let i = 0; i < megabytes; i++) crc = crc32(zeros, crc);
  return { data: Buffer.concat([...Array<Buffer>(megabytes).fill(block), last]), crc, size: megabytes * MB };
}

function textEntry(name: string, text: string, unixMode?: number): RawEntry {
  const data = Buffer.from(text);
  return { name, data, method: 0, crc: crc32(data), declaredSize: data.length, unixMode };
}

const symlinkEntry = (name: string, target: string) => textEntry(name, target, 0o120777);
const handlerEntry = () => textEntry('index.mjs', fixture('esm/index.mjs'), 0o100644);

/** The error an SDK call rejects with. */
async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

const create = (FunctionName: string, zip: Uint8Array) =>
  lambda.send(new CreateFunctionCommand({ FunctionName, Runtime: 'nodejs22.x', Role: role, Handler: 'index.echo', Code: { ZipFile: zip } }));

/** Bytes under a folder, counting every file. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    total += stat.isDirectory() ? folderBytes(path) : stat.size;
  }
  return total;
}

/**
 * Runs `upload` while watching the process: peak RSS above the starting point, the longest gap of
 * a 10 ms timer (event-loop stalls), and how long a ListFunctions sent meanwhile takes.
 */
async function watch(upload: () => Promise<unknown>) {
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let longestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  let uploadDone = 0;
  const uploading = upload().then(
    (value) => ((uploadDone = performance.now()), { value }),
    (error) => ((uploadDone = performance.now()), { error }),
  );
  await new Promise((resolve) => setTimeout(resolve, 30));
  const listStarted = performance.now();
  await lambda.send(new ListFunctionsCommand({}));
  const listDone = performance.now();
  const outcome: { value?: unknown; error?: any } = await uploading;
  clearInterval(timer);
  return {
    ...outcome,
    uploadMs: uploadDone - started,
    listMs: listDone - listStarted,
    listAnsweredWhileUploading: listDone < uploadDone,
    rssGrowthMb: (rssPeak - rssBefore) / MB,
    longestGapMs: longestGap,
  };
}

describe('unzipped quota', () => {
  it('refuses a 1 MB zip holding a 1.1 GB entry at once, from its declared size, without inflating it', async () => {
    const bomb = deflatedZeros(1100);
    const zip = rawZip([handlerEntry(), { name: 'bomb.bin', method: 8, data: bomb.data, crc: bomb.crc, declaredSize: bomb.size }]);
    expect(zip.length).toBeLessThan(2 * MB);
    const seen = await watch(() => create('bomb-declared', zip));
    expect(seen.error?.name).toBe('InvalidParameterValueException');
    expect(seen.error?.message).toBe(TOO_BIG_UNZIPPED);
    expect(seen.error?.$metadata.httpStatusCode).toBe(400);
    expect(seen.uploadMs).toBeLessThan(2000);
    expect(seen.rssGrowthMb).toBeLessThan(100);
    expect(folderBytes(cloud.dataDir)).toBeLessThan(MB);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'bomb-declared' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('stops a zip that understates its size where the lie shows, with flat memory and a free event loop', async () => {
    // Declares just under the quota, really holds 1.1 GB: it streams up to the declared size, then stops.
    const bomb = deflatedZeros(1100);
    const declaredSize = CODE_SIZE_UNZIPPED - 100_000;
    const zip = rawZip([handlerEntry(), { name: 'liar.bin', method: 8, data: bomb.data, crc: bomb.crc, declaredSize }]);
    const seen = await watch(() => create('bomb-lying', zip));
    console.log(
      `lying bomb: upload ${seen.uploadMs.toFixed(0)} ms, ListFunctions meanwhile ${seen.listMs.toFixed(0)} ms, ` +
        `longest event-loop gap ${seen.longestGapMs.toFixed(0)} ms, RSS growth ${seen.rssGrowthMb.toFixed(1)} MB`,
    );
    expect(seen.error?.name).toBe('InvalidParameterValueException');
    expect(seen.error?.message).toBe(CANNOT_UNZIP);
    expect(seen.error?.$metadata.httpStatusCode).toBe(400);
    expect(seen.listMs).toBeLessThan(1000);
    expect(seen.listAnsweredWhileUploading).toBe(true);
    expect(seen.longestGapMs).toBeLessThan(500);
    expect(seen.rssGrowthMb).toBeLessThan(100);
    expect(folderBytes(cloud.dataDir)).toBeLessThan(MB);
  });

  it('holds a small entry to its declared size as well', async () => {
    const bomb = deflatedZeros(64);
    const zip = rawZip([handlerEntry(), { name: 'small-liar.bin', method: 8, data: bomb.data, crc: bomb.crc, declaredSize: 1000 }]);
    const started = performance.now();
    const err = await failure(create('small-liar', zip));
    expect(err.message).toBe(CANNOT_UNZIP);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('counts every entry: many honest entries that together reach the quota are refused', async () => {
    const part = deflatedZeros(50);
    const parts = Array.from({ length: 6 }, (_, i) => ({ name: `part-${i}.bin`, method: 8 as const, data: part.data, crc: part.crc, declaredSize: part.size }));
    const err = await failure(create('many-parts', rawZip([handlerEntry(), ...parts])));
    expect(err.name).toBe('InvalidParameterValueException');
    expect(err.message).toBe(TOO_BIG_UNZIPPED);
  });

  it('refuses the same bomb in UpdateFunctionCode and keeps the running code', async () => {
    await deployFunction(lambda, { FunctionName: 'keeps-code', Role: role, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const bomb = deflatedZeros(300);
    const zip = rawZip([{ name: 'bomb.bin', method: 8, data: bomb.data, crc: bomb.crc, declaredSize: bomb.size }]);
    const err = await failure(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'keeps-code', ZipFile: zip })));
    expect(err.name).toBe('InvalidParameterValueException');
    expect(err.message).toBe(TOO_BIG_UNZIPPED);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'keeps-code', Payload: JSON.stringify({ still: 'here' }) }));
    expect(payloadOf(out).event).toEqual({ still: 'here' });
  });

  it('"must be smaller than": the quota itself is already too much', async () => {
    const zipOfSize = (size: number) => rawZip([textEntry('a.txt', 'x'.repeat(size))]);
    await expect(readZip(zipOfSize(999), discardEntries, 1000)).resolves.toEqual([]);
    await expect(readZip(zipOfSize(1000), discardEntries, 1000)).rejects.toMatchObject({
      code: 'InvalidParameterValueException',
      message: 'Unzipped size must be smaller than 1000 bytes',
    });
  });
});

describe('entry names and symlinks', () => {
  const refused: Array<[string, RawEntry[]]> = [
    ['a NUL in a name', [handlerEntry(), textEntry('evil\0.mjs', 'x')]],
    ['a .. segment', [handlerEntry(), textEntry('../escape.txt', 'x')]],
    ['a .. segment deeper down', [handlerEntry(), textEntry('lib/../../escape.txt', 'x')]],
    ['a .. segment after a backslash', [handlerEntry(), textEntry('lib\\..\\..\\escape.txt', 'x')]],
    ['an absolute path', [handlerEntry(), textEntry('/tmp/escape.txt', 'x')]],
    ['a path rooted at a backslash', [handlerEntry(), textEntry('\\tmp\\escape.txt', 'x')]],
    ['a drive letter', [handlerEntry(), textEntry('C:escape.txt', 'x')]],
    ['a symlink to an absolute path', [handlerEntry(), symlinkEntry('passwd', '/etc/passwd')]],
    ['a symlink climbing out', [handlerEntry(), symlinkEntry('lib/up', '../../outside')]],
    ['a symlink climbing out through another symlink', [handlerEntry(), symlinkEntry('here', '.'), symlinkEntry('out', 'here/..')]],
    ['a file written through a symlink', [handlerEntry(), symlinkEntry('lib', '.'), textEntry('lib/x.txt', 'x')]],
    ['a symlink loop', [handlerEntry(), symlinkEntry('a', 'b'), symlinkEntry('b', 'a')]],
  ];
  it.each(refused)('refuses %s as a zip Lambda cannot unzip', async (_what, entries) => {
    const err = await failure(create('bad-names', rawZip(entries)));
    expect(err.name).toBe('InvalidParameterValueException');
    expect(err.message).toBe(CANNOT_UNZIP);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(existsSync(join(cloud.dataDir, 'lambda', 'code', 'bad-names'))).toBe(false);
  });

  it('keeps a symlink that stays inside the task folder, and the function runs', async () => {
    const zip = rawZip([handlerEntry(), symlinkEntry('lib/alias.mjs', '../index.mjs'), textEntry('lib/data.txt', 'hello', 0o100644)]);
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'linked', Runtime: 'nodejs22.x', Role: role, Handler: 'lib/alias.echo', Code: { ZipFile: zip } }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'linked' });
    const tasks = join(cloud.dataDir, 'lambda', 'tasks', 'linked');
    const [hash] = readdirSync(tasks);
    expect(readlinkSync(join(tasks, hash, 'lib', 'alias.mjs'))).toBe('../index.mjs');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'linked', Payload: JSON.stringify({ via: 'symlink' }) }));
    expect(out.FunctionError).toBeUndefined();
    expect(payloadOf(out).event).toEqual({ via: 'symlink' });
  });

  it('still runs an ordinary function made by fflate', async () => {
    await deployFunction(lambda, { FunctionName: 'ordinary', Role: role, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'ordinary', Payload: JSON.stringify({ n: 1 }) }));
    expect(payloadOf(out).event).toEqual({ n: 1 });
    // Folders and nested files arrive as uploaded.
    const nested = zipSync({ 'index.mjs': strToU8(fixture('esm/index.mjs')), 'deep/': new Uint8Array(0), 'deep/er/file.txt': strToU8('deep') });
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'ordinary', ZipFile: nested }));
    // An invoke runs the new code, so its task folder is complete by then (the old one may linger for old workers).
    await lambda.send(new InvokeCommand({ FunctionName: 'ordinary', Payload: '{}' }));
    const current = createHash('sha256').update(nested).digest('hex');
    const tasks = join(cloud.dataDir, 'lambda', 'tasks', 'ordinary');
    expect(readdirSync(tasks)).toContain(current);
    expect(statSync(join(tasks, current, 'deep', 'er', 'file.txt')).size).toBe(4);
  });

  it('refuses bytes that are not a zip, and a zip cut short', async () => {
    const notZip = await failure(create('not-zip', Buffer.from('plain text, not a zip')));
    expect(notZip.message).toBe(CANNOT_UNZIP);
    const whole = Buffer.from(zipOf({ 'index.mjs': fixture('esm/index.mjs') }));
    const cut = await failure(create('cut-zip', whole.subarray(0, whole.length - 30)));
    expect(cut.message).toBe(CANNOT_UNZIP);
  });
});

describe('direct-upload quotas', () => {
  // The local cloud's listener caps request bodies below these sizes, so they are checked here
  // at the Lambda layer, where the wording is Lambda's.
  it('names the zipped size first, then the request size, as Lambda does', () => {
    const overZipped = 'A'.repeat(Math.ceil(((CODE_SIZE_ZIPPED + 1) * 4) / 3));
    expect(() => checkUploadSize('CreateFunction', overZipped.length + 200, overZipped)).toThrow(
      expect.objectContaining({ code: 'RequestEntityTooLargeException', status: 413, message: 'Zipped size must be smaller than 52428800 bytes' }),
    );
    expect(() => checkUploadSize('CreateFunction', 70_167_212, 'UEsFBg==')).toThrow(
      expect.objectContaining({
        code: 'RequestEntityTooLargeException',
        status: 413,
        message: 'Request must be smaller than 70167211 bytes for the CreateFunction operation',
      }),
    );
    expect(() => checkUploadSize('UpdateFunctionCode', 70_167_212, undefined)).toThrow(
      'Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation',
    );
    const atZippedLimit = 'A'.repeat((CODE_SIZE_ZIPPED * 4) / 3);
    expect(() => checkUploadSize('CreateFunction', 70_167_211, atZippedLimit)).not.toThrow();
  });

  it('answers an over-large upload over HTTP in Lambda\'s words, not the listener\'s', async () => {
    // 53 MB of zip is a 70.7 MB request: past the listener's usual limit, within Lambda's own.
    const overZipped = await failure(create('too-big-zip', Buffer.alloc(53 * MB, 7)));
    expect(overZipped).toMatchObject({ name: 'RequestEntityTooLargeException', message: 'Zipped size must be smaller than 52428800 bytes' });
    expect(overZipped.$metadata.httpStatusCode).toBe(413);
    // Far past the quota, the listener stops reading and still answers as Lambda.
    const res = await signedFetch(`${cloud.url}/2015-03-31/functions`, {
      service: 'lambda',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(80 * MB, 0x20),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ message: 'Request must be smaller than 70167211 bytes for the CreateFunction operation' });
  }, 60_000);

  it('refuses a decoded zip over 52,428,800 bytes before reading it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'code-store-'));
    try {
      const store = new CodeStore(root);
      await expect(store.inspect(Buffer.alloc(CODE_SIZE_ZIPPED + 1))).rejects.toMatchObject({
        code: 'RequestEntityTooLargeException',
        status: 413,
        message: 'Zipped size must be smaller than 52428800 bytes',
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('start-up after an interrupted unpack', () => {
  it('removes partial unpack folders and temporary zips, and keeps complete code', () => {
    const root = mkdtempSync(join(tmpdir(), 'code-store-'));
    try {
      const hash = 'ab'.repeat(32);
      const partial = join(root, 'tasks', 'fn', `${hash}.0f8fad5b-d9cb-469f-a165-70867728950e.tmp`);
      mkdirSync(join(partial, 'node_modules', 'big'), { recursive: true });
      writeFileSync(join(partial, 'node_modules', 'big', 'blob.bin'), Buffer.alloc(64 * 1024));
      const tempZip = join(root, 'code', 'fn', `${hash}.zip.4242.tmp`);
      mkdirSync(join(root, 'code', 'fn'), { recursive: true });
      writeFileSync(tempZip, 'half a zip');
      const complete = join(root, 'tasks', 'fn', hash);
      mkdirSync(complete, { recursive: true });
      writeFileSync(join(complete, 'index.mjs'), 'export const echo = async (e) => e;');
      const savedZip = join(root, 'code', 'fn', `${hash}.zip`);
      writeFileSync(savedZip, 'a zip');

      new CodeStore(root);

      expect(existsSync(partial)).toBe(false);
      expect(existsSync(tempZip)).toBe(false);
      expect(existsSync(join(complete, 'index.mjs'))).toBe(true);
      expect(existsSync(savedZip)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('leaves no staging folder behind when an unpack fails', async () => {
    const root = mkdtempSync(join(tmpdir(), 'code-store-'));
    try {
      const store = new CodeStore(root);
      const hash = 'cd'.repeat(32);
      // Saved before the checks existed: an entry that lies about its size fails the unpack midway.
      const bomb = deflatedZeros(20);
      store.save('old', hash, rawZip([textEntry('index.mjs', 'x'), { name: 'liar.bin', method: 8, data: bomb.data, crc: bomb.crc, declaredSize: MB }]));
      await expect(store.unpack('old', hash)).rejects.toMatchObject({ message: CANNOT_UNZIP });
      expect(readdirSync(join(root, 'tasks', 'old'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
