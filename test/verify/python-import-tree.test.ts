import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { onPath } from '../../functions/layers/bash-runtime/kind';
import { VERIFY_SCRIPT } from '../../functions/layers/python/verify';

const haveRuntime = onPath('python3.11') && process.platform === 'linux';
const describeIf = haveRuntime ? describe : describe.skip;
if (!haveRuntime) console.warn('python import-tree tests skipped: they need python3.11 on Linux');

/**
 * The tree the import check imports from is written by several processes at once (the main one unpacks, each
 * compile worker writes its own pycs). Compared file by file, with modes, with an independent reference: the zip
 * unzipped with zipfile, then py_compile over it in place, then files made read-only.
 */
const SCRIPT = String.raw`
import importlib.util, json, os, py_compile, shutil, stat, sys, tempfile, zipfile
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import verify_layer as v
work = tempfile.mkdtemp()
layer = os.path.join(work, "layer.zip")
files = {
    "python/pkg/__init__.py": b"X = 1\n",
    "python/pkg/sub/deep.py": b"def f():\n    return 2\n",
    "python/pkg/bad.py": b"def (:\n",
    "python/pkg/__pycache__/__init__.cpython-311.pyc": b"stale, replaced",
    "python/pkg/__pycache__/bad.cpython-311.pyc": b"stale, kept",
    "python/pkg/tool.sh": b"#!/bin/sh\n",
    "python/pkg/data/table.csv": b"a,b\n",
    "python/top.py": b"import pkg\n",
}
for k in range(40):
    files["python/many/m%02d/__init__.py" % k] = ("V = %d\n" % k).encode()
with zipfile.ZipFile(layer, "w") as z:
    for name, data in files.items():
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o100755 if name.endswith(".sh") else 0o100644) << 16
        z.writestr(info, data)

def snapshot(root):
    out = {}
    for base, dirs, names in os.walk(root):
        for name in dirs:
            out[os.path.relpath(os.path.join(base, name), root) + "/"] = oct(stat.S_IMODE(os.lstat(os.path.join(base, name)).st_mode))
        for name in names:
            full = os.path.join(base, name)
            with open(full, "rb") as handle:
                out[os.path.relpath(full, root)] = [oct(stat.S_IMODE(os.lstat(full).st_mode)), handle.read().hex()]
    return out

reference = os.path.join(work, "reference")
with zipfile.ZipFile(layer) as z:
    z.extractall(reference)
for base, dirs, names in os.walk(os.path.join(reference, "python")):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for name in names:
        if name.endswith(".py"):
            source = os.path.join(base, name)
            try:
                py_compile.compile(source, cfile=importlib.util.cache_from_source(source), dfile="/opt/" + os.path.relpath(source, reference), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            except py_compile.PyCompileError:
                pass
for base, dirs, names in os.walk(reference):
    for name in names:
        full = os.path.join(base, name)
        os.chmod(full, 0o555 if name.endswith(".sh") else 0o444)
v.make_folders_read_only(reference)

result = {}
for workers in (1, 3):
    scratch = os.path.join(work, "scratch-%d" % workers)
    os.makedirs(scratch)
    opt = os.path.join(scratch, "opt")
    files_of = v.LayerFiles(layer)
    started = v.start_compile(layer, scratch, workers=workers, tree=opt)
    v.unpack_python(files_of, opt, leave=v.pycs_of_sources(files_of))
    bytecode = v.Bytecode(started)
    bytecode.deliver(changes=os.path.join(scratch, "changes.zip"))
    bytecode.close()
    files_of.close()
    v.make_folders_read_only(opt)
    result[workers] = snapshot(opt)
print(json.dumps({"reference": snapshot(reference), "trees": result}))
v._remove_tree(work)
`;

describeIf('the import tree verify_layer.py writes from several processes', () => {
  test('equals the zip unzipped and compiled in place by py_compile, with the same read-only modes, whatever the number of workers', () => {
    const out = JSON.parse(execFileSync('python3.11', ['-I', '-B', '-W', 'ignore', '-c', SCRIPT, path.resolve(VERIFY_SCRIPT)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as {
      reference: Record<string, unknown>;
      trees: Record<string, Record<string, unknown>>;
    };
    // The test can tell: a replaced stale pyc, a kept one, an executable file.
    expect(out.reference['python/pkg/__pycache__/bad.cpython-311.pyc']).toEqual(['0o444', Buffer.from('stale, kept').toString('hex')]);
    expect((out.reference['python/pkg/__pycache__/__init__.cpython-311.pyc'] as string[])[1]).not.toEqual(Buffer.from('stale, replaced').toString('hex'));
    expect((out.reference['python/pkg/tool.sh'] as string[])[0]).toBe('0o555');
    expect(Object.keys(out.reference).filter((name) => name.endsWith('.pyc'))).toHaveLength(44);
    expect(out.trees['1']).toEqual(out.reference);
    expect(out.trees['3']).toEqual(out.reference);
  }, 60_000);
});
