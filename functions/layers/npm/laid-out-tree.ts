/**
 * The folder tree a layer would have on disk, held as names only: files (with what the layout knows of each) and
 * folders, `/`-separated, relative to the layer's `nodejs/` folder. The streamed npm layout builds this instead of
 * extracting tarballs, and strip and the build's checks ask it what they would ask the file system.
 */
export class LaidOutTree<File extends { size: number }> {
  private readonly files = new Map<string, File>();
  /** Every folder (the root is ''), with the names of what it holds. */
  private readonly folders = new Map<string, Set<string>>([['', new Set()]]);

  private parentOf(name: string): [string, string] {
    const at = name.lastIndexOf('/');
    return at < 0 ? ['', name] : [name.slice(0, at), name.slice(at + 1)];
  }

  /** Adds a folder and those above it. False when a file is in the way (the name or a folder above it). */
  addFolder(name: string): boolean {
    if (this.folders.has(name)) return true;
    if (this.files.has(name)) return false;
    const [parent, base] = this.parentOf(name);
    if (!this.addFolder(parent)) return false;
    this.folders.get(parent)!.add(base);
    this.folders.set(name, new Set());
    return true;
  }

  /** Adds (or replaces) a file. False, and nothing added, when a folder has that name or a file is a folder above it. */
  addFile(name: string, file: File): boolean {
    if (this.folders.has(name)) return false;
    const [parent, base] = this.parentOf(name);
    if (!this.addFolder(parent)) return false;
    this.folders.get(parent)!.add(base);
    this.files.set(name, file);
    return true;
  }

  file(name: string): File | undefined {
    return this.files.get(name);
  }

  isFolder(name: string): boolean {
    return this.folders.has(name);
  }

  has(name: string): boolean {
    return this.files.has(name) || this.folders.has(name);
  }

  /** What a folder holds, in byte order of the names. */
  list(folder: string): string[] {
    return [...(this.folders.get(folder) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Removes a file, or a folder with everything below it; returns the bytes of the files removed. */
  remove(name: string): number {
    const file = this.files.get(name);
    let freed = 0;
    if (file) {
      this.files.delete(name);
      freed = file.size;
    } else if (this.folders.has(name)) {
      freed = this.empty(name);
      this.folders.delete(name);
    } else return 0;
    const [parent, base] = this.parentOf(name);
    this.folders.get(parent)?.delete(base);
    return freed;
  }

  /** Removes everything below a folder, keeping the folder (as pacote empties a package's folder before extracting). */
  empty(folder: string): number {
    let freed = 0;
    for (const base of this.list(folder)) freed += this.remove(folder === '' ? base : `${folder}/${base}`);
    return freed;
  }

  /** Every file, in no particular order. */
  allFiles(): IterableIterator<[string, File]> {
    return this.files.entries();
  }

  /** Every folder but the root. */
  allFolders(): string[] {
    return [...this.folders.keys()].filter((name) => name !== '');
  }

  /** Bytes of the files below a folder. */
  sizeBelow(folder: string): number {
    let total = 0;
    for (const base of this.folders.get(folder) ?? []) {
      const name = folder === '' ? base : `${folder}/${base}`;
      total += this.files.get(name)?.size ?? this.sizeBelow(name);
    }
    return total;
  }
}
