"""lamina's Python layer verifier: standard library only, for every Python lamina targets (3.9 and later).

It runs on the target Python itself: on AWS as the handler of a verify function of exactly the layer's runtime and
architecture (``handler``), locally as a script run by a matching ``python3.X`` (``main``). Either way it

1. compiles every ``.py`` of the layer's ``python/`` folder to bytecode for this exact Python version, as
   ``unchecked-hash`` pycs (PEP 552: reproducible, and never checked against the sources on Lambda, where
   ``/opt`` is read-only and no cache can be written) compiled at their path on Lambda (``/opt/python/...``), so
   the same sources give the same bytes wherever they are compiled. The sources are read from the layer zip in
   memory (it is not unpacked for this), by one worker interpreter per core; the pycs are the bytes
   ``py_compile`` writes, into a zip of their own (what the layer gains);
2. imports every top-level module the installed distributions declare (``top_level.txt``, else ``RECORD``) in a
   fresh interpreter, from a read-only tree of the layer with its bytecode (unpacked while the workers compile,
   each worker writing its own pycs into it), and reports each that fails with its traceback.

The report is one JSON object (see ``verify``). This file is the only code lamina runs on AWS that is not Node.js.
"""

import concurrent.futures
import datetime
import hashlib
import hmac
import importlib.machinery
import importlib.util
import json
import os
import platform
import py_compile
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile

# Folders a distribution sometimes ships at the top level by mistake; importing them proves nothing.
NOT_MODULES = {"tests", "test"}
IMPORT_TIMEOUT_SECONDS = 120
# Stored (not deflated): the Node.js side compresses every file of the published zip itself, so the bytes do not
# depend on which zlib ran here.
CHANGES_COMPRESSION = zipfile.ZIP_STORED
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

CHILD = r"""
import importlib, json, sys, traceback
sys.path.insert(0, sys.argv[1])
name, out = sys.argv[2], sys.argv[3]
try:
    module = importlib.import_module(name)
    spec = getattr(module, '__spec__', None)
    result = {'ok': True, 'file': getattr(module, '__file__', None), 'cached': getattr(spec, 'cached', None)}
except BaseException:
    result = {'ok': False, 'error': traceback.format_exc()}
with open(out, 'w') as handle:
    json.dump(result, handle)
"""


def python_version():
    return "%d.%d" % sys.version_info[:2]


def lambda_architecture():
    """This machine's architecture in Lambda's words."""
    return {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


class LayerFiles:
    """A layer's files by name (``python/pkg/mod.py``): its zip, read in memory and never unpacked, or a folder."""

    def __init__(self, path):
        self.path = path
        self.archive = None if os.path.isdir(path) else zipfile.ZipFile(path)

    def sources(self):
        """[(name, size)] of every .py below python/ (none in a __pycache__ folder), sorted by name."""
        found = []
        if self.archive is not None:
            for info in self.archive.infolist():
                parts = info.filename.split("/")
                if parts[0] == "python" and len(parts) > 1 and info.filename.endswith(".py") and "__pycache__" not in parts[:-1]:
                    found.append((info.filename, info.file_size))
        else:
            site = os.path.join(self.path, "python")
            for root, dirs, files in os.walk(site):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                for name in files:
                    if name.endswith(".py"):
                        source = os.path.join(root, name)
                        found.append((os.path.relpath(source, self.path).replace(os.sep, "/"), os.path.getsize(source)))
        return sorted(found)

    def read(self, name):
        if self.archive is not None:
            return self.archive.read(name)
        with open(os.path.join(self.path, name), "rb") as handle:
            return handle.read()

    def close(self):
        if self.archive is not None:
            self.archive.close()


def pyc_of(source, dfile):
    """The unchecked-hash pyc of a source, made as py_compile makes it (PyCompileError when it does not compile)."""
    loader = importlib.machinery.SourceFileLoader("<py_compile>", dfile)
    try:
        code = loader.source_to_code(source, dfile, _optimize=0)
    except Exception as error:
        raise py_compile.PyCompileError(error.__class__, error, dfile)
    return importlib._bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(source), False)


def compile_sources(layer_path, names, out_zip, prefix="/opt", tree=None):
    """Compiles the named sources of the layer; the pycs are stored in out_zip (one file: a file per pyc costs more
    to create than to compile on some disks) and, given the import tree (unpacked from the layer's zip meanwhile,
    which leaves these pycs to the workers), written into it. Returns (compiled relative pyc paths, files that do
    not compile)."""
    layer = LayerFiles(layer_path)
    compiled, failed = [], []
    made = set()
    try:
        with zipfile.ZipFile(out_zip, "w", compression=zipfile.ZIP_STORED) as out:
            for name in names:
                pyc = importlib.util.cache_from_source(name, optimization="")
                try:
                    data = pyc_of(layer.read(name), prefix.rstrip("/") + "/" + name)
                except py_compile.PyCompileError as error:
                    # A template or a file for another Python in a package: pip leaves it uncompiled too. A module
                    # that matters fails the import check.
                    failed.append({"file": name, "error": str(error.msg).strip().splitlines()[-1]})
                    # The layer's own pyc of it, if it ships one, stays (as with pip): in the tree too.
                    info = layer.archive.NameToInfo.get(pyc) if tree and layer.archive is not None else None
                    if info is not None:
                        _create(tree, pyc, layer.archive.read(info), _tree_mode(info), made)
                    continue
                out.writestr(zipfile.ZipInfo(pyc, date_time=ZIP_DATE), data)
                if tree:
                    _create(tree, pyc, data, 0o444, made)
                compiled.append(pyc)
    finally:
        layer.close()
    return compiled, failed


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# One worker per this many bytes of sources, up to one per core: a small layer is not worth a second interpreter.
SOURCE_BYTES_PER_WORKER = 1 << 20


def start_compile(layer_path, scratch, prefix="/opt", workers=None, tree=None):
    """Starts compiling every source of the layer in worker interpreters (the caller may work meanwhile), each
    storing its pycs in a zip below scratch and, given the import tree, writing them into it (the file creations
    are most of the tree's cost: shared among the workers, they run beside the compilation); Bytecode waits for
    them."""
    layer = LayerFiles(layer_path)
    try:
        sources = layer.sources()
    finally:
        layer.close()
    total = sum(size for _, size in sources)
    count = min(len(sources), workers or max(1, min(_cpus(), total // SOURCE_BYTES_PER_WORKER)))
    # Largest first onto the least loaded worker: shares of about equal work (the bytes do not depend on the split).
    shares = [[0, []] for _ in range(count)]
    for name, size in sorted(sources, key=lambda item: (-item[1], item[0])):
        share = min(shares, key=lambda s: s[0])
        share[0] += size
        share[1].append(name)
    started = []
    for k, (_, names) in enumerate(shares):
        out_zip = os.path.join(scratch, "pycs-%d.zip" % k)
        # Its stderr (SyntaxWarnings of the sources, a crash) goes to a file: a full pipe nobody reads would stall it.
        errors = tempfile.TemporaryFile()
        worker = subprocess.Popen(
            [sys.executable, "-I", "-B", os.path.abspath(__file__), "--compile-worker", layer_path, out_zip, prefix] + ([tree] if tree else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
        )
        worker.stdin.write(json.dumps(names).encode("utf-8"))
        worker.stdin.close()
        started.append((worker, errors, out_zip))
    return started


class Bytecode:
    """What the workers compiled: the pycs by name (each in its worker's zip) and the files that do not compile."""

    def __init__(self, started):
        self.compiled, self.failed, self._where = [], [], {}
        self._archives = []
        for worker, errors, out_zip in started:
            out = worker.stdout.read()
            worker.stdout.close()
            status = worker.wait()
            errors.seek(0)
            err = errors.read().decode("utf-8", "replace")
            errors.close()
            if status != 0:
                self.close()
                raise RuntimeError("a bytecode compilation worker exited with status %s: %s" % (status, err[-3000:]))
            done = json.loads(out)
            archive = zipfile.ZipFile(out_zip)
            self._archives.append(archive)
            for name in done["compiled"]:
                self._where[name] = archive
            self.failed.extend(done["failed"])
        self.compiled = sorted(self._where)
        self.failed.sort(key=lambda f: f["file"])

    def read(self, name):
        return self._where[name].read(name)

    def deliver(self, tree=None, folder=None, changes=None):
        """Writes every pyc, in name order, into the read-only tree, into the folder (in place), into the changes zip."""
        archive = zipfile.ZipFile(changes, "w", compression=CHANGES_COMPRESSION) if changes else None
        in_tree, in_folder = set(), set()
        try:
            for name in self.compiled:
                data = self.read(name)
                if tree:
                    _create(tree, name, data, 0o444, in_tree)
                if folder:
                    _create(folder, name, data, 0o644, in_folder)
                if archive:
                    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                    info.external_attr = (0o100644 << 16)
                    info.create_system = 3
                    info.compress_type = CHANGES_COMPRESSION
                    archive.writestr(info, data)
        finally:
            if archive:
                archive.close()

    def close(self):
        for archive in self._archives:
            archive.close()


def compile_worker(argv):
    """A worker interpreter: the names to compile on stdin (JSON), what it did on stdout."""
    layer_path, out_zip, prefix = argv[:3]
    compiled, failed = compile_sources(layer_path, json.load(sys.stdin), out_zip, prefix, argv[3] if len(argv) > 3 else None)
    json.dump({"compiled": compiled, "failed": failed}, sys.stdout)
    return 0


def _read_lines(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.strip()]
    except OSError:
        return []


def _module_of_record_path(path):
    first = path.split("/", 1)[0]
    if first.endswith((".dist-info", ".data")) or first in ("..", "__pycache__", ""):
        return None
    if "/" in path:
        return first
    if first.endswith(".py"):
        return first[: -len(".py")]
    if first.endswith((".so", ".pyd")):
        return first.split(".", 1)[0]
    return None


def top_level_modules(layer_dir):
    """[(module, distribution)] the layer's distributions declare, sorted; loose top-level entries when none do."""
    site = os.path.join(layer_dir, "python")
    found = {}
    infos = sorted(d for d in os.listdir(site) if d.endswith(".dist-info")) if os.path.isdir(site) else []
    for info in infos:
        distribution = info[: -len(".dist-info")].rsplit("-", 1)[0]
        names = _read_lines(os.path.join(site, info, "top_level.txt"))
        if not names:
            for line in _read_lines(os.path.join(site, info, "RECORD")):
                name = _module_of_record_path(line.rsplit(",", 2)[0])
                if name:
                    names.append(name)
        for name in names:
            name = name.replace("/", ".").split(".")[0]
            if name.isidentifier() and os.path.exists(os.path.join(site, name)) or _has_module_file(site, name):
                found.setdefault(name, distribution)
    if not infos and os.path.isdir(site):
        for entry in sorted(os.listdir(site)):
            name = _module_of_record_path(entry + ("/x" if os.path.isdir(os.path.join(site, entry)) else ""))
            if name and name.isidentifier():
                found.setdefault(name, None)
    return sorted(found.items())


def _has_module_file(site, name):
    if not name.isidentifier():
        return False
    return any(entry.split(".", 1)[0] == name and entry.endswith((".py", ".so", ".pyd")) for entry in os.listdir(site))


def _inside(root, name):
    """Where a zip entry lands below root; refused when it would land outside (nothing here makes links)."""
    normal = os.path.normpath(name)
    if "\0" in name or os.path.isabs(normal) or normal == ".." or normal.startswith(".." + os.sep):
        raise ValueError("entry %s would land outside the layer" % name)
    return os.path.join(root, normal)


def _create(root, name, data, mode, made):
    """Writes a file at its place below root, replacing what is there, with its mode from the start; the folders
    above it are made unless in `made` (the folders this caller made)."""
    target = _inside(root, name)
    folder = os.path.dirname(target)
    if folder not in made:
        # exist_ok: the main process and the workers make the folders of one tree at once.
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    if os.path.lexists(target):
        os.remove(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _tree_mode(info):
    return 0o555 if (info.external_attr >> 16) & 0o111 else 0o444


def pycs_of_sources(layer):
    """The pyc paths the compile workers own in the import tree: one per source of the layer's zip."""
    return {importlib.util.cache_from_source(name, optimization="") for name, _ in layer.sources()}


def unpack_python(layer, dest, leave=frozenset()):
    """The layer's python/ folder below dest, as it lands in /opt (files read-only: only the folders are left to
    make so): unpacked from the zip but for the files named in leave (the compile workers write those), or copied
    from the folder."""
    site = os.path.join(dest, "python")
    if layer.archive is None:
        if os.path.isdir(os.path.join(layer.path, "python")):
            shutil.copytree(os.path.join(layer.path, "python"), site, symlinks=True)
        os.makedirs(site, exist_ok=True)
        for root, _dirs, files in os.walk(site):
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & ~0o222)
        return
    os.makedirs(site, exist_ok=True)
    made = {site}
    for info in layer.archive.infolist():
        name = info.filename
        if name.split("/", 1)[0] != "python":
            continue
        if name.endswith("/"):
            os.makedirs(_inside(dest, name), exist_ok=True)
            continue
        if name in leave:
            continue
        mode = _tree_mode(info)
        if info.file_size <= (1 << 24):
            _create(dest, name, layer.archive.read(info), mode, made)
        else:
            target = _inside(dest, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with layer.archive.open(info) as source, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)


def make_folders_read_only(dest):
    """Like /opt on Lambda: nothing can be added below dest (its files are read-only already)."""
    for root, dirs, _files in os.walk(dest, topdown=False):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(dest, 0o555)


def _import_one(python_dir, scratch, name):
    out = os.path.join(scratch, "result-%s.json" % name)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "HOME": scratch}
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-B", "-c", CHILD, python_dir, name, out],
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=IMPORT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "import did not finish within %d seconds" % IMPORT_TIMEOUT_SECONDS}
    try:
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        # The interpreter died before it could say anything (a crash in a native extension).
        output = done.stdout.decode("utf-8", "replace")[-3000:]
        return {"ok": False, "error": "the interpreter exited with status %s while importing it\n%s" % (done.returncode, output)}


def import_check(opt, scratch, workers=None):
    """Imports each top-level module of the read-only layer tree opt (holding python/), each in a fresh interpreter."""
    modules = top_level_modules(opt)
    python_dir = os.path.join(opt, "python")
    wanted = [(name, dist) for name, dist in modules if name not in NOT_MODULES]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or min(4, _cpus() * 2)) as pool:
        outcomes = list(pool.map(lambda item: _import_one(python_dir, scratch, item[0]), wanted))
    results = []
    for (name, dist), outcome in zip(wanted, outcomes):
        result = {"module": name, "distribution": dist, "ok": bool(outcome.get("ok"))}
        if outcome.get("ok"):
            cached = outcome.get("cached") or ""
            result["bytecode"] = bool(cached) and os.path.exists(cached) if cached else False
        else:
            result["error"] = outcome.get("error", "")
        results.append(result)
    skipped = [name for name, _ in modules if name in NOT_MODULES]
    return results, skipped


def _remove_tree(scratch):
    for root, dirs, _files in os.walk(scratch):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
    os.chmod(scratch, 0o755)
    shutil.rmtree(scratch, ignore_errors=True)


def verify(layer_path, changes=None, expected_version=None, prefix="/opt", workers=None, in_place=False, imports=True):
    """Compiles and (unless imports is false) import-checks the layer (its zip, or a folder). The pycs go to the
    changes zip and, with in_place, into the folder. Returns the report."""
    report = {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "machine": platform.machine(),
        "cacheTag": sys.implementation.cache_tag,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
    }
    if expected_version and expected_version != python_version():
        report.update(ok=False, error="this is Python %s, the layer targets %s" % (python_version(), expected_version))
        return report
    layer = LayerFiles(layer_path)
    scratch = tempfile.mkdtemp(prefix="lamina-verify-")
    opt = os.path.join(scratch, "opt")
    # Wall-clock milliseconds of each phase, for whoever wants to know where the time goes (compile and unpack overlap).
    timings = {}
    started = time.monotonic()

    def lap(what, since):
        timings[what] = round((time.monotonic() - since) * 1000)

    bytecode = None
    modules, skipped = [], []
    try:
        # From a zip, the workers write their pycs into the tree the imports need while the rest of it is unpacked.
        workers_fill_tree = imports and layer.archive is not None
        compiling = start_compile(layer_path, scratch, prefix, workers, tree=opt if workers_fill_tree else None)
        if imports:
            unpack = time.monotonic()
            unpack_python(layer, opt, leave=pycs_of_sources(layer) if workers_fill_tree else frozenset())
            lap("unpackMs", unpack)
        bytecode = Bytecode(compiling)
        lap("compileMs", started)
        deliver = time.monotonic()
        bytecode.deliver(tree=opt if imports and not workers_fill_tree else None, folder=layer_path if in_place else None, changes=changes)
        if imports:
            make_folders_read_only(opt)
        lap("deliverMs", deliver)
        if imports:
            checks = time.monotonic()
            modules, skipped = import_check(opt, scratch)
            lap("importMs", checks)
    finally:
        if bytecode:
            bytecode.close()
        layer.close()
        _remove_tree(scratch)
    report.update(
        ok=all(m["ok"] for m in modules),
        compiled=bytecode.compiled,
        notCompiled=bytecode.failed,
        modules=modules,
        skipped=skipped,
        timings=timings,
    )
    return report


# ---- On AWS: the verify function's handler. ---------------------------------------------------------------------

def _s3_url(bucket, key):
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    quoted = urllib.parse.quote(key, safe="/~")
    if endpoint:
        parsed = urllib.parse.urlsplit(endpoint.rstrip("/"))
        return parsed.netloc, "%s://%s/%s/%s" % (parsed.scheme, parsed.netloc, bucket, quoted), "/%s/%s" % (bucket, quoted)
    region = os.environ.get("AWS_REGION", "us-east-1")
    host = "%s.s3.%s.amazonaws.com" % (bucket, region)
    return host, "https://%s/%s" % (host, quoted), "/" + quoted


def _sign(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sign_request(method, host, path, region, amz_date, access_key, secret_key, token=None):
    """Signature Version 4 headers for an S3 request with an unsigned payload (the body streams over TLS)."""
    headers = {"host": host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, "", "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)), signed, "UNSIGNED-PAYLOAD"])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (amz_date[:8], region, "s3", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    result = {k: v for k, v in headers.items() if k != "host"}
    result["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (access_key, scope, signed, signature)
    return result


def s3_request(method, bucket, key, body_file=None, download_to=None):
    """GetObject / PutObject signed with the function's own credentials (no SDK needed)."""
    host, url, path = _s3_url(bucket, key)
    region = os.environ.get("AWS_REGION", "us-east-1")
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    request_headers = sign_request(method, host, path, region, amz_date, os.environ["AWS_ACCESS_KEY_ID"],
                                   os.environ["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_SESSION_TOKEN"))
    data = None
    if body_file:
        request_headers["Content-Length"] = str(os.path.getsize(body_file))
        data = open(body_file, "rb")
    try:
        request = urllib.request.Request(url, data=data, method=method, headers=request_headers)
        with urllib.request.urlopen(request, timeout=300) as response:
            if download_to:
                with open(download_to, "wb") as out:
                    shutil.copyfileobj(response, out, 1024 * 1024)
            else:
                response.read()
    finally:
        if data:
            data.close()


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def outcome_of(report, runtime, architecture, where, how):
    """The report as lamina records it (schema/table.ts Verification)."""
    base = {"runtime": runtime, "architecture": architecture, "where": where, "how": how, "at": _now()}
    if report.get("error"):
        return dict(base, status="failed", subject="python", error=report["error"])
    failures = [m for m in report.get("modules", []) if not m["ok"]]
    if failures:
        first = failures[0]
        subject = "module %s" % first["module"] + (" (distribution %s)" % first["distribution"] if first.get("distribution") else "")
        errors = "\n".join("%s: %s" % (m["module"], m["error"].strip()) for m in failures)
        return dict(base, status="failed", subject=subject, error=errors[-4000:])
    modules = report.get("modules", [])
    summary = "compiled %d files to %s bytecode; imported %d top-level module%s%s" % (
        len(report.get("compiled", [])), report["cacheTag"], len(modules), "" if len(modules) == 1 else "s",
        (" (%s)" % ", ".join(m["module"] for m in modules[:8]) + ("…" if len(modules) > 8 else "")) if modules else "")
    return dict(base, status="verified", summary=summary)


def handler(event, context):
    """Verify function. The event is lamina's VerifyTargetEvent (functions/shared/pipeline-events.ts):
    {runId, layerName, artifactKey, targetKey, check: {runtime, architecture, functionName, changesKey}}; the bucket
    is the function's LAMINA_BUCKET. Returns a Verification (schema/table.ts), with changesKey when bytecode was added.
    """
    check = event["check"]
    runtime, architecture = check["runtime"], check["architecture"]
    bucket = os.environ["LAMINA_BUCKET"]
    machine = lambda_architecture()
    if runtime != "python" + python_version() or architecture != machine:
        raise RuntimeError("this verify function is python%s %s, asked to verify %s %s: the state machine picked the wrong function"
                           % (python_version(), machine, runtime, architecture))
    work = tempfile.mkdtemp(prefix="verify-", dir=os.environ.get("LAMINA_VERIFY_TMP", "/tmp"))
    try:
        built = os.path.join(work, "built.zip")
        changes = os.path.join(work, "changes.zip")
        s3_request("GET", bucket, event["artifactKey"], download_to=built)
        report = verify(built, changes, python_version())
        how = "python %s %s on Lambda (%s)" % (platform.python_version(), architecture, os.environ.get("AWS_EXECUTION_ENV", "AWS Lambda"))
        outcome = outcome_of(report, runtime, architecture, "aws", how)
        if outcome["status"] == "verified" and report.get("compiled"):
            s3_request("PUT", bucket, check["changesKey"], body_file=changes)
            outcome["changesKey"] = check["changesKey"]
        return outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- Locally: the same verification, run by a matching python3.X. -----------------------------------------------

def main(argv):
    if argv[:1] == ["--compile-worker"]:
        return compile_worker(argv[1:])
    import argparse

    parser = argparse.ArgumentParser(description="Compile and import-check a Python layer (lamina).")
    parser.add_argument("layer", help="the layer: its zip (read, never unpacked in place), or a folder holding python/")
    parser.add_argument("--changes", help="write the bytecode to this zip (stored, in name order, fixed dates); required for a zip")
    parser.add_argument("--in-place", action="store_true", help="also write the bytecode into the folder")
    parser.add_argument("--python-version", help="the layer's target version, e.g. 3.12 (refused when this is another)")
    parser.add_argument("--prefix", default="/opt", help="where the layer lands on Lambda (recorded in the bytecode)")
    parser.add_argument("--compile-only", action="store_true", help="compile, do not import")
    parser.add_argument("--workers", type=int, help="compile in this many worker interpreters (default: one per core, fewer for a small layer)")
    parser.add_argument("--runtime", help="the Lambda runtime, for the outcome (default python<this version>)")
    parser.add_argument("--architecture", help="the architecture, for the outcome (default this machine's)")
    parser.add_argument("--how", default="this machine", help="how this run is described in the outcome")
    args = parser.parse_args(argv)
    if args.in_place and not os.path.isdir(args.layer):
        parser.error("--in-place needs a folder; %s is a zip" % args.layer)
    if not args.changes and not args.in_place:
        parser.error("name where the bytecode goes: --changes <zip> (or --in-place for a folder)")
    report = verify(args.layer, args.changes, args.python_version, args.prefix, args.workers, args.in_place, imports=not args.compile_only)
    runtime, architecture = args.runtime or "python" + python_version(), args.architecture or lambda_architecture()
    outcome = None if args.compile_only else outcome_of(report, runtime, architecture, "local", args.how)
    json.dump({"report": report, "outcome": outcome}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
