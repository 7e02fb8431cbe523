import { createHash, randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { removeUnpackDebris } from './code/debris.ts';
import { createSymlinks, folderSink } from './code/folder-sink.ts';
import { checkZippedSize } from './code/limits.ts';
import { discardEntries, readZip } from './code/read-zip.ts';

export interface CodeDigest {
  /** Base64 SHA-256, as AWS reports CodeSha256. */
  sha256: string;
  /** Hex SHA-256: names the files. */
  hash: string;
  size: number;
}

/**
 * Function code on disk. Each uploaded zip is kept as `code/NAME/HASH.zip` (what GetFunction's
 * Code.Location serves, and what a restart unpacks again) and unpacked into `tasks/NAME/HASH/`,
 * the folder a worker runs in (Lambda's /var/task). Unpacking goes to a temporary folder renamed
 * into place, so a task folder is always complete; start-up removes what an interrupted unpack left.
 * Zips are checked and unpacked as streams (code/read-zip.ts): never more than a piece of a file in
 * memory, and never past Lambda's unzipped quota.
 */
export class CodeStore {
  private readonly unpacking = new Map<string, Promise<string>>();
  /**
   * True when a node_modules folder above the task folders (the data folder inside a project,
   * say) would let a function import packages it did not ship. Workers then fence module
   * resolution in (see runtime/resolve-hooks.ts); otherwise the layout itself is the fence.
   */
  readonly needsModuleFence: boolean;

  constructor(readonly root: string) {
    mkdirSync(join(root, 'code'), { recursive: true });
    mkdirSync(join(root, 'tasks'), { recursive: true });
    // As on Lambda, a zip's .js files are CommonJS unless its own package.json says "type": "module" (not the project's).
    writeFileSync(join(root, 'tasks', 'package.json'), '{ "type": "commonjs" }\n');
    removeUnpackDebris(root);
    // Above every task folder (tasks/NAME/HASH), and clear of function names.
    linkRuntimeSdk(join(root, 'node_modules'));
    this.needsModuleFence = hasNodeModulesAbove(dirname(root));
  }

  /**
   * Checks that the bytes are a zip Lambda can use (within its quotas, every entry readable and
   * staying inside the task folder), and digests them. Inflates to count, keeping nothing.
   */
  async inspect(zip: Buffer): Promise<{ digest: CodeDigest }> {
    checkZippedSize(zip);
    await readZip(zip, discardEntries);
    return {
      digest: {
        sha256: createHash('sha256').update(zip).digest('base64'),
        hash: createHash('sha256').update(zip).digest('hex'),
        size: zip.length,
      },
    };
  }

  /** Keeps the zip (synchronously: the upload is acknowledged only once it is on disk). */
  save(functionName: string, hash: string, zip: Buffer): void {
    const file = this.zipPath(functionName, hash);
    if (existsSync(file)) return;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, zip);
    renameSync(tmp, file);
  }

  zip(functionName: string, hash: string): Buffer | undefined {
    try {
      return readFileSync(this.zipPath(functionName, hash));
    } catch {
      return undefined;
    }
  }

  taskRoot(functionName: string, hash: string): string {
    return join(this.root, 'tasks', functionName, hash);
  }

  /**
   * Makes sure the task folder exists, unpacking the saved zip if needed. Resolves to the folder;
   * concurrent calls share one unpack.
   */
  unpack(functionName: string, hash: string): Promise<string> {
    const target = this.taskRoot(functionName, hash);
    const key = `${functionName}/${hash}`;
    const running = this.unpacking.get(key);
    if (running) return running;
    if (existsSync(target)) return Promise.resolve(target);
    const work = (async () => {
      const zip = await this.savedZip(functionName, hash);
      const staging = `${target}.${randomUUID()}.tmp`;
      await mkdir(staging, { recursive: true });
      try {
        const symlinks = await readZip(zip, folderSink(staging));
        await createSymlinks(staging, symlinks);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
      if (existsSync(target)) await rm(staging, { recursive: true, force: true });
      else await rename(staging, target);
      return target;
    })().finally(() => this.unpacking.delete(key));
    this.unpacking.set(key, work);
    return work;
  }

  /** Removes every version of a function's code but those in `keep` (hex hashes). */
  prune(functionName: string, keep: readonly string[]): void {
    for (const folder of ['code', 'tasks']) {
      const dir = join(this.root, folder, functionName);
      if (!existsSync(dir)) continue;
      for (const entry of readdirNames(dir)) {
        if (keep.some((hash) => entry === hash || entry === `${hash}.zip`)) continue;
        rmSync(join(dir, entry), { recursive: true, force: true });
      }
    }
  }

  remove(functionName: string): void {
    rmSync(join(this.root, 'code', functionName), { recursive: true, force: true });
    rmSync(join(this.root, 'tasks', functionName), { recursive: true, force: true });
  }

  private zipPath(functionName: string, hash: string): string {
    return join(this.root, 'code', functionName, `${hash}.zip`);
  }

  private async savedZip(functionName: string, hash: string): Promise<Buffer> {
    try {
      return await readFile(this.zipPath(functionName, hash));
    } catch {
      throw new Error(`The code of ${functionName} (${hash}) is missing from the data folder.`);
    }
  }
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Lambda's Node.js runtimes include the AWS SDK for JavaScript v3. Every task folder sits under
 * the code root, so ROOT/node_modules/@aws-sdk (and @smithy, its building blocks) linked to the
 * local cloud's own install makes the SDK importable from any function, as on Lambda.
 */
function linkRuntimeSdk(modulesDir: string): void {
  mkdirSync(modulesDir, { recursive: true });
  const require = createRequire(import.meta.url);
  for (const [scope, probe] of [
    ['@aws-sdk', '@aws-sdk/client-sts'],
    ['@smithy', '@smithy/types'],
  ]) {
    const link = join(modulesDir, scope);
    let target: string;
    try {
      const entry = require.resolve(probe);
      target = entry.slice(0, entry.lastIndexOf(`${sep}${scope}${sep}`) + scope.length + 1);
    } catch {
      continue;
    }
    try {
      if (lstatSync(link).isSymbolicLink()) rmSync(link);
      else continue;
    } catch {
      // no link yet
    }
    symlinkSync(target, link, process.platform === 'win32' ? 'junction' : 'dir');
  }
}

function hasNodeModulesAbove(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) return true;
    if (dirname(current) === current) return false;
  }
}
