import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { UnusableZip, type ZipEntry } from './zip-directory.ts';

/** Output pieces are at most this big, so memory stays flat whatever an entry inflates to. */
const PIECE = 256 * 1024;

/**
 * An entry's bytes as they inflate, piece by piece. Inflating runs on zlib's thread pool, so the
 * event loop stays free; it goes no further than the consumer reads. An entry that inflates to
 * more or fewer bytes than its header declares is corrupt (or a bomb in disguise) and throws at
 * once rather than at the end.
 */
export async function* inflateEntry(zip: Uint8Array, entry: ZipEntry): AsyncGenerator<Uint8Array> {
  const compressed = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let produced = 0;
  const count = (piece: Uint8Array) => {
    produced += piece.length;
    if (produced > entry.declaredSize) throw new UnusableZip(`${entry.name} inflates past its declared size`);
  };

  if (entry.method === 8 && entry.declaredSize <= PIECE) {
    // Small entries (most of a package) inflate in one call: a stream each would cost more than the
    // work. maxOutputLength stops zlib at the declared size, so a lie costs no more than the truth.
    let piece: Buffer;
    try {
      piece = inflateRawSync(compressed, { maxOutputLength: Math.max(entry.declaredSize, 1) });
    } catch (err) {
      throw new UnusableZip(`${entry.name} does not inflate: ${(err as Error).message}`);
    }
    count(piece);
    yield piece;
  } else if (entry.method === 0) {
    for (let at = 0; at < compressed.length; at += PIECE) {
      const piece = compressed.subarray(at, at + PIECE);
      count(piece);
      yield piece;
    }
  } else {
    const inflater = createInflateRaw({ chunkSize: PIECE });
    inflater.end(compressed);
    try {
      for await (const piece of inflater as AsyncIterable<Buffer>) {
        count(piece);
        yield piece;
      }
    } catch (err) {
      if (err instanceof UnusableZip) throw err;
      throw new UnusableZip(`${entry.name} does not inflate: ${(err as Error).message}`);
    } finally {
      inflater.destroy();
    }
  }
  if (produced !== entry.declaredSize) throw new UnusableZip(`${entry.name} inflates short of its declared size`);
}
