/**
 * The environment the local cloud runs with: an allow-list of what it, Node and tsx need. A
 * learner's shell holds real AWS keys, tokens and other secrets; none of them has any use here,
 * and whatever the cloud's process holds, code that reaches it could read.
 */
const KEPT_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TZ',
  'LANG',
  'LANGUAGE',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'CI',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  // Node's own settings, named one by one: NODE_AUTH_TOKEN (npm's publishing token) is a secret.
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'NODE_ENV',
  'NODE_NO_WARNINGS',
  'NODE_DEBUG',
  'NODE_COMPILE_CACHE',
  'NODE_DISABLE_COLORS',
]);

/** Locale (LC_*), tsx and esbuild settings, the cloud's own. */
const KEPT_PREFIXES = ['LC_', 'TSX_', 'ESBUILD_', 'LOCAL_CLOUD_'];

export function isCloudVariable(name: string): boolean {
  return KEPT_NAMES.has(name) || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The allow-listed part of `env`: what to start the local cloud with. */
export function cloudEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && isCloudVariable(name)));
}

/**
 * Drops from this process's environment everything the allow-list does not keep, for a cloud
 * started straight from a learner's shell (`npm run local`). What the kernel shows in
 * /proc/PID/environ is fixed at exec time and stays; the workers' permissions keep them from it.
 */
export function dropForeignVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  const dropped = Object.keys(env).filter((name) => !isCloudVariable(name));
  for (const name of dropped) delete env[name];
  return dropped;
}
