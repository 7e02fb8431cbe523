import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EntrySink, Symlink } from './read-zip.ts';

/** Writes entries under `root` as they stream: one piece of a file in memory at a time. */
export function folderSink(root: string): EntrySink {
  return {
    folder: async (segments) => {
      await mkdir(join(root, ...segments), { recursive: true });
    },
    file: async (segments, content, mode) => {
      const path = join(root, ...segments);
      await mkdir(dirname(path), { recursive: true });
      // Keep the archive's permission bits (an executable stays one), but always readable by its owner.
      const file = await open(path, 'w', mode === undefined ? 0o644 : (mode | 0o600) & 0o777);
      try {
        for await (const piece of content) await file.write(piece);
      } finally {
        await file.close();
      }
    },
  };
}

/** Creates the archive's symlinks once every file is written, so no file is written through one. */
export async function createSymlinks(root: string, links: readonly Symlink[]): Promise<void> {
  for (const link of links) {
    const path = join(root, ...link.segments);
    await mkdir(dirname(path), { recursive: true });
    try {
      await symlink(link.target, path);
    } catch (err) {
      // Where symlinks need a privilege (Windows), the target's path is kept as the file's text.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      await writeFile(path, link.target);
    }
  }
}
