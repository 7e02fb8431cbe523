import { PREFIX_PATTERN } from './pipeline-names.ts';

/**
 * The address that opens the dashboard: the token rides in the fragment (after #), which a
 * browser never sends to a server nor in a Referer; the page moves it into the tab's storage.
 */
export function dashboardUrl(baseUrl: string, token: string, prefix?: string): string {
  const fragment = new URLSearchParams({ token });
  if (prefix && PREFIX_PATTERN.test(prefix)) fragment.set('prefix', prefix);
  return `${baseUrl}/_localcloud/dashboard#${fragment}`;
}
