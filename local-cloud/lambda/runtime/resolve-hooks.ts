/**
 * ESM resolve hooks for a worker (registered by bootstrap.ts with module.register; Node runs them
 * on a loader thread). They make module resolution for the function's code behave as in Lambda:
 * - a bare import from the function's code must be found inside its own package (/var/task);
 *   the local cloud's own node_modules, found by walking up the data folder, do not count;
 * - the AWS SDK for JavaScript v3 is provided by the runtime, as Lambda's Node.js runtimes do.
 */
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

interface HookData {
  /** file URL of the task root, with a trailing slash. */
  taskRootUrl: string;
  /** file URL inside the local cloud's install from which the SDK resolves. */
  sdkBase: string;
}

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
  importAttributes?: Record<string, string>;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<ResolveResult>;

let data: HookData | undefined;

export async function initialize(input: HookData): Promise<void> {
  data = input;
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
  const parent = context.parentURL;
  if (!data || !parent || !parent.startsWith(data.taskRootUrl) || !isBare(specifier)) {
    return nextResolve(specifier, context);
  }
  let failure: unknown;
  try {
    const resolved = await nextResolve(specifier, context);
    if (resolved.url.startsWith(data.taskRootUrl) || resolved.url.startsWith('node:')) return resolved;
  } catch (err) {
    failure = err;
  }
  if (isRuntimeProvided(specifier)) return nextResolve(specifier, { ...context, parentURL: data.sdkBase });
  if (failure) throw failure;
  const error = new Error(`Cannot find package '${packageName(specifier)}' imported from ${fileURLToPath(parent)}`);
  throw Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
}

function isBare(specifier: string): boolean {
  return !isBuiltin(specifier) && !/^(\.{1,2}(\/|$)|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

function isRuntimeProvided(specifier: string): boolean {
  return specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/');
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
