/**
 * Writes small but well-formed ELF64 files for tests: an ELF header, a string table and a `.gnu.version_r` section
 * needing the given glibc versions, laid out as the gABI and the LSB's symbol versioning describe.
 */
export function elfFixture(options: { machine: 'x86_64' | 'arm64' | number; glibc?: string[]; bigEndian?: boolean }): Buffer {
  const machine = options.machine === 'x86_64' ? 62 : options.machine === 'arm64' ? 183 : options.machine;
  const le = !options.bigEndian;
  const versions = options.glibc ?? [];
  const names = ['libc.so.6', ...versions.map((v) => `GLIBC_${v}`)];
  const strtab = Buffer.from(`\0${names.join('\0')}\0`, 'latin1');
  const offsetOf = (name: string) => strtab.indexOf(Buffer.from(`\0${name}\0`, 'latin1')) + 1;
  const verneed = Buffer.alloc(versions.length ? 16 + 16 * versions.length : 0);
  const w16 = (b: Buffer, o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (b: Buffer, o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const w64 = (b: Buffer, o: number, v: number) => (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o));
  if (versions.length) {
    w16(verneed, 0, 1);
    w16(verneed, 2, versions.length);
    w32(verneed, 4, offsetOf('libc.so.6'));
    w32(verneed, 8, 16);
    w32(verneed, 12, 0);
    versions.forEach((v, i) => {
      const at = 16 + 16 * i;
      w32(verneed, at + 8, offsetOf(`GLIBC_${v}`));
      w32(verneed, at + 12, i === versions.length - 1 ? 0 : 16);
    });
  }
  const strtabOffset = 64;
  const verneedOffset = strtabOffset + strtab.length;
  const shoff = verneedOffset + verneed.length;
  const sections = Buffer.alloc(64 * 3);
  // [1] the string table, [2] .gnu.version_r linking to it.
  w32(sections, 64 + 4, 3);
  w64(sections, 64 + 0x18, strtabOffset);
  w64(sections, 64 + 0x20, strtab.length);
  w32(sections, 128 + 4, 0x6ffffffe);
  w64(sections, 128 + 0x18, verneedOffset);
  w64(sections, 128 + 0x20, verneed.length);
  w32(sections, 128 + 0x28, 1);
  w32(sections, 128 + 0x2c, versions.length ? 1 : 0);
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1]).copy(header);
  w16(header, 16, 3);
  w16(header, 18, machine);
  w32(header, 20, 1);
  w64(header, 0x28, shoff);
  w16(header, 0x34, 64);
  w16(header, 0x3a, 64);
  w16(header, 0x3c, 3);
  return Buffer.concat([header, strtab, verneed, sections]);
}
