import { readSync } from 'node:fs';

/**
 * The parts of an ELF file (System V ABI, gABI; GNU symbol versioning, LSB "Symbol Versioning") that decide
 * whether a native file loads on a Lambda runtime: its machine and the glibc symbol versions it needs.
 * Reads the header and the section headers only; never maps or runs anything.
 */

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** e_machine values of the architectures lamina meets. */
const MACHINES: Record<number, string> = {
  3: 'x86 (32-bit)',
  40: 'arm (32-bit)',
  62: 'x86_64',
  183: 'arm64',
  243: 'riscv',
  21: 'ppc64',
  22: 's390',
  8: 'mips',
};

const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_STRTAB = 3;

export interface ElfInfo {
  /** `x86_64`, `arm64`, or a description of another machine. */
  machine: string;
  /** 64-bit class. */
  is64: boolean;
  /** e_type: 2 executable, 3 shared object (or PIE), 1 relocatable. */
  type: number;
  /** Every version a file needs from glibc (`GLIBC_2.17`...), as [major, minor], sorted, unique. */
  glibcVersions: Array<[number, number]>;
  /** The newest of glibcVersions, or undefined when it needs none (static, or no versioned symbols). */
  maxGlibc?: [number, number];
}

export class ElfFormatError extends Error {}

/** True when the bytes start like an ELF file. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(ELF_MAGIC);
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Random access to a file's bytes: `length` bytes from `offset` (fewer at the end of the file). */
export type ByteReader = (offset: number, length: number) => Buffer;

/** A ByteReader over an open file, so a 100 MB shared library is read only where its headers are. */
export function fileReader(fd: number): ByteReader {
  return (offset, length) => {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, read);
  };
}

/** Reads an ELF file's machine and the glibc versions it needs from its `.gnu.version_r` section. */
export function readElf(source: Buffer | ByteReader): ElfInfo {
  const read: ByteReader = typeof source === 'function' ? source : (offset, length) => source.subarray(offset, offset + length);
  const header = read(0, 64);
  if (!isElf(header) || header.length < 52) throw new ElfFormatError('not an ELF file');
  const elfClass = header[4];
  const endian = header[5];
  if (elfClass !== 1 && elfClass !== 2) throw new ElfFormatError(`unknown ELF class ${elfClass}`);
  if (endian !== 1 && endian !== 2) throw new ElfFormatError(`unknown ELF byte order ${endian}`);
  const is64 = elfClass === 2;
  const little = endian === 1;
  const u16 = (offset: number) => {
    const { bytes, index } = at(offset, 2);
    return little ? bytes.readUInt16LE(index) : bytes.readUInt16BE(index);
  };
  const u32 = (offset: number) => {
    const { bytes, index } = at(offset, 4);
    return little ? bytes.readUInt32LE(index) : bytes.readUInt32BE(index);
  };
  const addr = (offset: number) => {
    if (!is64) return u32(offset);
    const { bytes, index } = at(offset, 8);
    return Number(little ? bytes.readBigUInt64LE(index) : bytes.readBigUInt64BE(index));
  };
  // The regions read so far, by absolute offset; `within` reads a region before it is used.
  const regions: Array<{ start: number; bytes: Buffer }> = [{ start: 0, bytes: header }];
  const within = (offset: number, length: number) => {
    if (offset < 0 || length < 0 || length > 256 * 1024 * 1024) throw new ElfFormatError('truncated ELF file');
    if (regions.some((r) => offset >= r.start && offset + length <= r.start + r.bytes.length)) return;
    const bytes = read(offset, length);
    if (bytes.length < length) throw new ElfFormatError('truncated ELF file');
    regions.push({ start: offset, bytes });
  };
  const at = (offset: number, length: number): { bytes: Buffer; index: number } => {
    const region = regions.find((r) => offset >= r.start && offset + length <= r.start + r.bytes.length);
    if (!region) throw new ElfFormatError('truncated ELF file');
    return { bytes: region.bytes, index: offset - region.start };
  };

  const type = u16(16);
  const machineId = u16(18);
  const machine = MACHINES[machineId] ?? `machine ${machineId}`;
  const shoff = addr(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const versions = new Map<string, [number, number]>();
  if (shoff !== 0 && shnum !== 0) {
    within(shoff, shentsize * shnum);
    const section = (index: number) => {
      const base = shoff + index * shentsize;
      return {
        type: u32(base + 4),
        offset: addr(base + (is64 ? 0x18 : 0x10)),
        size: addr(base + (is64 ? 0x20 : 0x14)),
        link: u32(base + (is64 ? 0x28 : 0x18)),
        info: u32(base + (is64 ? 0x2c : 0x1c)),
      };
    };
    for (let i = 0; i < shnum; i++) {
      const verneed = section(i);
      if (verneed.type !== SHT_GNU_VERNEED) continue;
      const strings = section(verneed.link);
      if (strings.type !== SHT_STRTAB) throw new ElfFormatError('.gnu.version_r links to no string table');
      within(strings.offset, strings.size);
      const table = at(strings.offset, strings.size);
      const text = (offset: number) => {
        const start = table.index + offset;
        const end = table.bytes.indexOf(0, start);
        if (offset >= strings.size || end < 0 || end > table.index + strings.size) throw new ElfFormatError('bad string offset in .gnu.version_r');
        return table.bytes.toString('latin1', start, end);
      };
      within(verneed.offset, verneed.size);
      // Verneed entries form a list (vn_next), each with its own list of Vernaux entries (vna_next); sh_info counts them.
      let entry = verneed.offset;
      for (let n = 0; n < verneed.info; n++) {
        within(entry, 16);
        const auxCount = u16(entry + 2);
        const auxOffset = u32(entry + 8);
        const next = u32(entry + 12);
        let aux = entry + auxOffset;
        for (let k = 0; k < auxCount; k++) {
          within(aux, 16);
          const name = text(u32(aux + 8));
          const match = /^GLIBC_(\d+)\.(\d+)/.exec(name);
          if (match) versions.set(name, [Number(match[1]), Number(match[2])]);
          const auxNext = u32(aux + 12);
          if (auxNext === 0) break;
          aux += auxNext;
        }
        if (next === 0) break;
        entry += next;
      }
    }
  }
  const glibcVersions = [...new Map([...versions.values()].map((v) => [`${v[0]}.${v[1]}`, v])).values()].sort(compare);
  return { machine, is64, type, glibcVersions, maxGlibc: glibcVersions[glibcVersions.length - 1] };
}

/** `2.34` from [2, 34]. */
export function glibcText(version: readonly [number, number]): string {
  return `${version[0]}.${version[1]}`;
}

/** True when `needed` is newer than `available`. */
export function glibcNewer(needed: readonly [number, number], available: readonly [number, number]): boolean {
  return compare([needed[0], needed[1]], [available[0], available[1]]) > 0;
}
