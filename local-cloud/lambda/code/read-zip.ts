import { AwsError } from '../../protocol/errors.ts';
import { lambdaErrors } from '../errors.ts';
import { entrySegments, passesThroughSymlink, symlinkEscapes } from './entry-paths.ts';
import { inflateEntry } from './inflate-entry.ts';
import { CODE_SIZE_UNZIPPED } from './limits.ts';
import { readZipDirectory, UnusableZip, type ZipEntry } from './zip-directory.ts';

/** Where the entries of a zip go: nowhere (checking an upload) or into a folder (unpacking). */
export interface EntrySink {
  folder(segments: string[]): Promise<void>;
  /** Must read `content` to its end (or throw). */
  file(segments: string[], content: AsyncIterable<Uint8Array>, mode: number | undefined): Promise<void>;
}

export interface Symlink {
  segments: string[];
  target: string;
}

/** A symlink's content is its target path; anything longer than a path can be is not one. */
const LONGEST_TARGET = 4096;

/**
 * Streams a zip's entries into `sink`, enforcing what Lambda enforces on a package: entries it can
 * read, with names that stay inside the task folder, and fewer unzipped bytes than the quota. The
 * quota is checked against the declared sizes before anything inflates; then each entry is held to
 * its declared size as it streams (inflate-entry.ts), so the bytes that really inflate stay under
 * the quota too: a zip that understates a size is stopped there, not after the lie.
 * Resolves to the archive's symlinks (all confined to the folder), left for the caller to create
 * once every file is in place.
 */
export async function readZip(zip: Uint8Array, sink: EntrySink, limit = CODE_SIZE_UNZIPPED): Promise<Symlink[]> {
  try {
    return await walk(zip, sink, limit);
  } catch (err) {
    if (err instanceof AwsError) throw err;
    if (err instanceof UnusableZip) throw lambdaErrors.cannotUnzip();
    throw err;
  }
}

async function walk(zip: Uint8Array, sink: EntrySink, limit: number): Promise<Symlink[]> {
  const entries = readZipDirectory(zip);
  const placed = entries.map((entry) => ({ entry, segments: usableSegments(entry) }));
  const declared = entries.reduce((sum, entry) => sum + (entry.kind === 'folder' ? 0 : entry.declaredSize), 0);
  // Lambda's wording is "must be smaller than" the quota: reaching it is already too much.
  if (declared >= limit) throw lambdaErrors.unzippedTooLarge(limit);

  const symlinks: Symlink[] = [];
  let lastYield = performance.now();
  for (const { entry, segments } of placed) {
    // Thousands of small entries inflate synchronously: let other requests in between.
    if (performance.now() - lastYield > 10) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (entry.kind === 'folder') await sink.folder(segments);
    else if (entry.kind === 'file') await sink.file(segments, inflateEntry(zip, entry), entry.mode);
    else symlinks.push({ segments, target: await symlinkTarget(inflateEntry(zip, entry)) });
  }

  const targets = new Map(symlinks.map((link) => [link.segments.join('/'), link.target]));
  for (const { entry, segments } of placed) {
    if (passesThroughSymlink(segments, targets)) throw new UnusableZip(`${entry.name} lies under a symlink`);
  }
  for (const link of symlinks) {
    if (symlinkEscapes(link.segments, link.target, targets)) {
      throw new UnusableZip(`symlink ${link.segments.join('/')} leaves the folder`);
    }
  }
  return symlinks;
}

function usableSegments(entry: ZipEntry): string[] {
  const segments = entrySegments(entry.name);
  if (!segments || (entry.kind !== 'folder' && segments.length === 0)) {
    throw new UnusableZip(`unusable name ${JSON.stringify(entry.name)}`);
  }
  return segments;
}

async function symlinkTarget(content: AsyncIterable<Uint8Array>): Promise<string> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  for await (const piece of content) {
    length += piece.length;
    if (length > LONGEST_TARGET) throw new UnusableZip('symlink target too long');
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}

/** A sink that only reads: checking an upload writes nothing. */
export const discardEntries: EntrySink = {
  folder: async () => {},
  file: async (_segments, content) => {
    for await (const _piece of content) {
      // counted and checked as it streams; nothing kept
    }
  },
};
