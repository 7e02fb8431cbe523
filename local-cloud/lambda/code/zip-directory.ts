/**
 * Reads a zip's central directory: the list of entries with their declared sizes and where their
 * data lies, without inflating anything. Zip64 archives are read too (more than 65,535 entries).
 * Anything malformed throws UnusableZip; the caller words it for the client.
 */
export class UnusableZip extends Error {}

export type EntryKind = 'file' | 'folder' | 'symlink';

export interface ZipEntry {
  name: string;
  kind: EntryKind;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  /** As the archive states it; the bytes that inflate may differ. */
  declaredSize: number;
  /** Where the entry's compressed bytes start in the archive. */
  dataOffset: number;
  /** Unix permission bits when the archive was made on Unix. */
  mode?: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

export function readZipDirectory(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u16 = (at: number) => (inside(zip, at, 2), view.getUint16(at, true));
  const u32 = (at: number) => (inside(zip, at, 4), view.getUint32(at, true));
  const u64 = (at: number) => {
    inside(zip, at, 8);
    const value = view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnusableZip('size out of range');
    return Number(value);
  };

  const end = findEndOfDirectory(zip, view);
  let count = u16(end + 10);
  let directorySize = u32(end + 12);
  let directoryOffset = u32(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || u32(locator) !== ZIP64_LOCATOR) throw new UnusableZip('no zip64 locator');
    const record = u64(locator + 8);
    if (u32(record) !== ZIP64_END_OF_DIRECTORY) throw new UnusableZip('no zip64 directory end');
    count = u64(record + 32);
    directorySize = u64(record + 40);
    directoryOffset = u64(record + 48);
  }
  if (directoryOffset + directorySize > zip.length) throw new UnusableZip('directory out of bounds');

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (u32(at) !== DIRECTORY_ENTRY) throw new UnusableZip('bad directory entry');
    const madeBy = (u16(at + 4)) >> 8;
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressedSize = u32(at + 20);
    let declaredSize = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    const attributes = u32(at + 38);
    let headerOffset = u32(at + 42);
    inside(zip, at + 46, nameLength + extraLength);
    const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise the archiver's code page, read here as Latin-1.
    const name = Buffer.from(nameBytes).toString(flags & 0x800 ? 'utf8' : 'latin1');

    // Zip64 extra field: the 64-bit values, in this order, for those set to 0xFFFFFFFF above.
    for (let extra = at + 46 + nameLength; extra + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(extra);
      const size = u16(extra + 2);
      if (id === ZIP64_EXTRA) {
        let field = extra + 4;
        if (declaredSize === 0xffffffff) {
          declaredSize = u64(field);
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(field);
          field += 8;
        }
        if (headerOffset === 0xffffffff) headerOffset = u64(field);
      }
      extra += 4 + size;
    }

    if (flags & 0x1) throw new UnusableZip('encrypted entry');
    if (u32(headerOffset) !== LOCAL_HEADER) throw new UnusableZip('bad local header');
    const dataOffset = headerOffset + 30 + (u16(headerOffset + 26)) + (u16(headerOffset + 28));
    if (dataOffset + compressedSize > zip.length) throw new UnusableZip('entry data out of bounds');

    const unixMode = madeBy === UNIX ? attributes >>> 16 : 0;
    const kind: EntryKind =
      (unixMode & S_IFMT) === S_IFLNK
        ? 'symlink'
        : name.endsWith('/') || (unixMode & S_IFMT) === S_IFDIR || (attributes & 0x10) !== 0
          ? 'folder'
          : 'file';
    if (kind !== 'folder' && method !== 0 && method !== 8) throw new UnusableZip(`compression method ${method}`);
    entries.push({
      name,
      kind,
      method,
      compressedSize,
      declaredSize,
      dataOffset,
      ...(unixMode ? { mode: unixMode & 0o777 } : {}),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndOfDirectory(zip: Uint8Array, view: DataView): number {
  // The end record is 22 bytes plus a comment of at most 65,535.
  const earliest = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= earliest; at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY) return at;
  }
  throw new UnusableZip('not a zip');
}

function inside(zip: Uint8Array, at: number, length: number): void {
  if (at < 0 || at + length > zip.length) throw new UnusableZip('truncated');
}
