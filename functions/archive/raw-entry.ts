/**
 * A file's compressed bytes as they already sit in another zip (e.g. a wheel), so that the zip writer can copy
 * them instead of compressing the file again. Plain JSON: it can travel with a BuiltLayer.
 */
export interface RawZipEntry {
  /** Where the file is in the layer: its zip entry name, `/`-separated, relative to the layer root. */
  name: string;
  /** The zip that holds the bytes. */
  source: string;
  /** Offset in `source` of the entry's data (just after its local header). */
  dataOffset: number;
  /** 0 (stored) or 8 (deflated). */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}
