"""lamina's Python layer verifier: standard library only, for every Python lamina targets (3.9 and later).

It runs on the target Python itself: on AWS as the handler of a verify function of exactly the layer's runtime and
architecture (``handler``), locally as a script run by a matching ``python3.X`` (``main``). Either way it

1. compiles every ``.py`` of the layer's ``python/`` folder to bytecode for this exact Python version, as
   ``unchecked-hash`` pycs (PEP 552: reproducible, and never checked against the sources on Lambda, where
   ``/opt`` is read-only and no cache can be written) compiled at their path on Lambda (``/opt/python/...``), so
   the same sources give the same bytes wherever they are compiled;
2. imports every top-level module the installed distributions declare (``top_level.txt``, else ``RECORD``) in a
   fresh interpreter, from a read-only copy of the layer, and reports each that fails with its traceback.

The report is one JSON object (see ``verify``). This file is the only code lamina runs on AWS that is not Node.js.
"""

import concurrent.futures
import datetime
import hashlib
import hmac
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


def compile_layer(layer_dir, prefix="/opt"):
    """Compiles every .py below layer_dir/python; returns (compiled relative pyc paths, files that do not compile)."""
    site = os.path.join(layer_dir, "python")
    compiled, failed = [], []
    if not os.path.isdir(site):
        return compiled, failed
    for root, dirs, files in os.walk(site):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            source = os.path.join(root, name)
            relative = os.path.relpath(source, layer_dir).replace(os.sep, "/")
            cfile = importlib.util.cache_from_source(source, optimization="")
            try:
                py_compile.compile(
                    source,
                    cfile=cfile,
                    dfile=prefix.rstrip("/") + "/" + relative,
                    doraise=True,
                    optimize=0,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError as error:
                # A template or a file for another Python in a package: pip leaves it uncompiled too. A module that
                # matters fails the import check below.
                failed.append({"file": relative, "error": str(error.msg).strip().splitlines()[-1]})
                continue
            compiled.append(os.path.relpath(cfile, layer_dir).replace(os.sep, "/"))
    return compiled, failed


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


def _read_only_copy(layer_dir, dest):
    shutil.copytree(os.path.join(layer_dir, "python"), os.path.join(dest, "python"), symlinks=True)
    for root, dirs, files in os.walk(dest, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & ~0o222)
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


def import_check(layer_dir, workers=None):
    """Imports each top-level module from a read-only copy of the layer, each in a fresh interpreter."""
    modules = top_level_modules(layer_dir)
    scratch = tempfile.mkdtemp(prefix="lamina-import-")
    copy = os.path.join(scratch, "opt")
    try:
        _read_only_copy(layer_dir, copy)
        python_dir = os.path.join(copy, "python")
        wanted = [(name, dist) for name, dist in modules if name not in NOT_MODULES]
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
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
    finally:
        for root, dirs, _files in os.walk(scratch):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        os.chmod(scratch, 0o755)
        shutil.rmtree(scratch, ignore_errors=True)


def verify(layer_dir, expected_version=None, prefix="/opt"):
    """Compiles and import-checks the unzipped layer in layer_dir; returns the report."""
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
    compiled, not_compiled = compile_layer(layer_dir, prefix)
    modules, skipped = import_check(layer_dir)
    report.update(
        ok=all(m["ok"] for m in modules),
        compiled=compiled,
        notCompiled=not_compiled,
        modules=modules,
        skipped=skipped,
    )
    return report


def write_changes(layer_dir, names, out_file):
    """A zip of the files verify added (the bytecode), in byte order with fixed dates: the same files, the same bytes."""
    with zipfile.ZipFile(out_file, "w", compression=CHANGES_COMPRESSION) as archive:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = (0o100644 << 16)
            info.create_system = 3
            info.compress_type = CHANGES_COMPRESSION
            with open(os.path.join(layer_dir, name), "rb") as handle:
                archive.writestr(info, handle.read())


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


def _safe_extract(zip_file, dest):
    with zipfile.ZipFile(zip_file) as archive:
        for info in archive.infolist():
            target = os.path.realpath(os.path.join(dest, info.filename))
            if not target.startswith(os.path.realpath(dest) + os.sep):
                raise ValueError("%s: entry %s would land outside the layer" % (zip_file, info.filename))
        archive.extractall(dest)


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
        layer = os.path.join(work, "layer")
        s3_request("GET", bucket, event["artifactKey"], download_to=built)
        _safe_extract(built, layer)
        os.remove(built)
        report = verify(layer, python_version())
        how = "python %s %s on Lambda (%s)" % (platform.python_version(), architecture, os.environ.get("AWS_EXECUTION_ENV", "AWS Lambda"))
        outcome = outcome_of(report, runtime, architecture, "aws", how)
        if outcome["status"] == "verified" and report.get("compiled"):
            changes = os.path.join(work, "changes.zip")
            write_changes(layer, report["compiled"], changes)
            s3_request("PUT", bucket, check["changesKey"], body_file=changes)
            outcome["changesKey"] = check["changesKey"]
        return outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- Locally: the same verification, run by a matching python3.X. -----------------------------------------------

def main(argv):
    import argparse

    parser = argparse.ArgumentParser(description="Compile and import-check an unzipped Python layer (lamina).")
    parser.add_argument("layer", help="the unzipped layer: the folder holding python/")
    parser.add_argument("--python-version", help="the layer's target version, e.g. 3.12 (refused when this is another)")
    parser.add_argument("--prefix", default="/opt", help="where the layer lands on Lambda (recorded in the bytecode)")
    parser.add_argument("--changes", help="also write the added bytecode to this zip")
    parser.add_argument("--compile-only", action="store_true", help="compile, do not import")
    parser.add_argument("--runtime", help="the Lambda runtime, for the outcome (default python<this version>)")
    parser.add_argument("--architecture", help="the architecture, for the outcome (default this machine's)")
    parser.add_argument("--how", default="this machine", help="how this run is described in the outcome")
    args = parser.parse_args(argv)
    if args.compile_only:
        compiled, failed = compile_layer(args.layer, args.prefix)
        report = {"ok": True, "compiled": compiled, "notCompiled": failed, "cacheTag": sys.implementation.cache_tag}
    else:
        report = verify(args.layer, args.python_version, args.prefix)
    if args.changes and report.get("compiled"):
        write_changes(args.layer, report["compiled"], args.changes)
    runtime, architecture = args.runtime or "python" + python_version(), args.architecture or lambda_architecture()
    outcome = None if args.compile_only else outcome_of(report, runtime, architecture, "local", args.how)
    json.dump({"report": report, "outcome": outcome}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
