#!/usr/bin/env python3
"""A hostile battery for the `tabveil` command (issue 12): about 110 bad and edge inputs.

Every case runs the binary once and checks that
  - it exits with the expected status (0 success, 1 failure, 2 usage) and never panics or dies
    from a signal;
  - its messages are readable: no Rust debug text (`Some(`), no number of 25 digits or more,
    no line of more than 2000 characters, one `error:` line on failure, naming the flag on a
    usage error;
  - no file of the user's was touched (the protected files keep their bytes and types, and
    /dev/null stays a character device);
  - and whatever the case checks on top (a FIFO still a FIFO, no privacy spent, ...).

Usage:
    python3 scripts/cli/hostile_battery.py [--bin PATH] [--keep]

`--bin` defaults to `$TABVEIL_BIN`, else `target/release/tabveil` under `$CARGO_TARGET_DIR`
or the repository. Some cases need root (another uid via `setpriv`); they are skipped
otherwise. Exits 1 if any case fails.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCHEMA = {
    "name": "people",
    "target": "paid",
    "positive_class": "yes",
    "columns": [
        {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": True},
        {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"],
         "nullable": True},
        {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]},
    ],
}


def rows(n, shift=0):
    cities = ["north", "south", "east", ""]
    out = ["age,city,paid"]
    for i in range(n):
        age = 20 + (i * 7 + shift) % 50
        out.append(f"{age},{cities[(i + shift) % 4]},{'yes' if age > 45 else 'no'}")
    return "\n".join(out) + "\n"


def default_bin():
    if os.environ.get("TABVEIL_BIN"):
        return os.environ["TABVEIL_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "tabveil")


class Battery:
    def __init__(self, binary, work):
        self.bin = binary
        self.work = work
        self.results = []
        self.protected = {}

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def write(self, name, content, mode="w"):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(content)
        return p

    def protect(self, *names):
        for name in names:
            p = self.path(name)
            self.protected[p] = fingerprint(p)

    def run(self, args, stdin=None, timeout=180, user=None):
        cmd = [self.bin] + args
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        env = dict(os.environ, NO_COLOR="1")
        env.pop("RUST_BACKTRACE", None)
        try:
            p = subprocess.run(cmd, cwd=self.work, input=stdin, capture_output=True,
                               timeout=timeout, env=env)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            return "timeout", e.stdout or b"", e.stderr or b""

    def case(self, name, args, expect, stdin=None, check=None, timeout=180, user=None,
             flag=None):
        code, out, err = self.run(args, stdin=stdin, timeout=timeout, user=user)
        problems = []
        expected = expect if isinstance(expect, (set, tuple, list)) else {expect}
        if code not in expected:
            problems.append(f"exit {code}, expected {sorted(expected)}")
        text = err.decode("utf-8", "replace")
        if "panicked" in text or code == 101 or (isinstance(code, int) and code < 0):
            problems.append("panic or signal")
        for line in text.splitlines():
            if len(line) > 2000:
                problems.append(f"a stderr line of {len(line)} characters")
                break
        if "Some(" in text:
            problems.append("Rust debug text on stderr")
        if re.search(r"\d{25}", text):
            problems.append("a 25-digit number on stderr")
        if code in (1, 2):
            errors = [l for l in text.splitlines() if l.startswith("error:")]
            if len(errors) != 1:
                problems.append(f"{len(errors)} `error:` lines")
            if code == 2 and flag and errors and flag not in errors[0]:
                problems.append(f"the usage error does not name {flag}")
        for p, before in self.protected.items():
            if fingerprint(p) != before:
                problems.append(f"touched {os.path.relpath(p, self.work)}")
        if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
            problems.append("/dev/null is no longer a character device")
            restore_dev_null()
        if check is not None and not problems:
            try:
                extra = check(code, out, err)
            except Exception as e:  # noqa: BLE001 - a failed check is a finding, not a crash
                extra = f"check raised {e!r}"
            if extra:
                problems.append(extra)
        first = next((l for l in text.splitlines() if l.startswith("error:")), "")
        self.results.append((name, code, problems, first[:160]))
        mark = "ok  " if not problems else "FAIL"
        print(f"{mark} {name:<58} exit {code!s:<7} {'; '.join(problems) or first[:90]}")


def fingerprint(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ("absent",)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return ("dir", tuple(sorted(
            (n, fingerprint(os.path.join(path, n))) for n in os.listdir(path))))
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            return ("file", hashlib.sha256(f.read()).hexdigest())
    return ("special", stat.S_IFMT(st.st_mode))


def restore_dev_null():
    if os.geteuid() == 0:
        try:
            os.remove("/dev/null")
        except OSError:
            pass
        subprocess.run(["mknod", "-m", "666", "/dev/null", "c", "1", "3"], check=False)


def fifo_reader(path, into):
    def read():
        with open(path, "rb") as f:
            into.append(f.read())
    t = threading.Thread(target=read, daemon=True)
    t.start()
    return t


def fifo_writer(path, data):
    def write():
        with open(path, "wb") as f:
            f.write(data)
    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=default_bin(), help="the tabveil binary")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no tabveil binary at {binary}; build it (cargo build --release -p tabveil-cli) or pass --bin")
    work = tempfile.mkdtemp(prefix="tabveil-hostile-")
    os.chmod(work, 0o755)
    b = Battery(binary, work)
    try:
        run_cases(b)
    finally:
        if not args.keep:
            subprocess.run(["umount", b.path("tiny")], stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in b.results if r[2]]
    print(f"\n{len(b.results)} cases, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def run_cases(b):
    schema = json.dumps(SCHEMA)
    b.write("schema.json", schema)
    b.write("train.csv", rows(600))
    b.write("holdout.csv", rows(120, 3))
    fast = ["--epochs", "1", "--batch-size", "100"]
    code, _, err = b.run(["fit", "--data", "train.csv", "--schema", "schema.json", "--no-privacy",
                          "--out", "model"] + fast)
    if code != 0:
        sys.exit(f"the base fit failed: {err.decode()}")
    # A user's folder with a model.json, a thesis and a link; and the fixtures.
    b.write("precious/model.json", '{"mine": true}')
    b.write("precious/thesis.tex", "precious")
    b.write("precious/src/main.rs", "fn main() {}")
    os.symlink("../train.csv", b.path("precious/link.csv"))
    b.write("blocker", "a file")
    shutil.copytree(b.path("model"), b.path("model_plus"))
    b.write("model_plus/notes.txt", "mine")
    b.protect("precious", "schema.json", "train.csv", "holdout.csv", "model", "model_plus",
              "blocker")

    n = [0]

    def out():
        n[0] += 1
        return f"m{n[0]}"

    def fit(data, schema_file="schema.json", extra=None):
        return (["fit", "--data", data, "--schema", schema_file, "--no-privacy", "--out", out()]
                + fast + (extra or []))

    def data(name, content, mode="w"):
        b.write(name, content, mode)
        return name

    # ---- A. data files -----------------------------------------------------------------
    header = "age,city,paid\n"
    b.case("data: empty file", fit(data("empty.csv", "")), 1)
    b.case("data: header only", fit(data("header.csv", header)), 1)
    b.case("data: binary garbage", fit(data("garbage.csv", os.urandom(4096), "wb")), 1)
    b.case("data: NUL bytes", fit(data("nul.csv", b"\0" * 5000, "wb")), 1)
    b.case("data: UTF-16 with BOM", fit(data("utf16.csv", rows(50).encode("utf-16"), "wb")), 1)
    b.case("data: 1e400 (infinite)", fit(data("inf400.csv", header + "1e400,north,no\n")), 1)
    b.case("data: NaN", fit(data("nan.csv", header + "NaN,north,no\n")), 1)
    b.case("data: inf", fit(data("inf.csv", header + "inf,north,no\n")), 1)
    b.case("data: -0 is 0", fit(data("negzero.csv", rows(300) + "-0,north,no\n")), 0)
    b.case("data: 1e300 out of bounds", fit(data("e300.csv", header + "1e300,north,no\n")), 1)
    b.case("data: 1.5 in an integer column", fit(data("frac.csv", header + "1.5,north,no\n")), 1)
    b.case("data: unicode unknown category",
           fit(data("uni.csv", header + "30,nörth 🌍,no\n")), 1)
    b.case("data: missing column", fit(data("missing.csv", "age,city\n30,north\n")), 1)
    b.case("data: duplicate header", fit(data("dup.csv", "age,age,city,paid\n1,2,north,no\n")), 1)
    b.case("data: extra column", fit(data("extra.csv", "age,city,paid,x\n1,north,no,3\n")), 1)
    b.case("data: null in a non-nullable column", fit(data("null.csv", header + "30,north,\n")), 1)
    b.case("data: 101 > max", fit(data("oob.csv", header + "101,north,no\n")), 1)
    b.case("data: ragged row", fit(data("ragged.csv", header + "30,north\n")), 1)
    b.case("data: unbalanced quote", fit(data("quote.csv", header + '30,"north,no\n')), 1)
    b.case("data: CRLF line ends", fit(data("crlf.csv", rows(300).replace("\n", "\r\n"))), 0)
    b.case("data: UTF-8 BOM", fit(data("bom.csv", "\ufeff" + rows(300))), 0)
    b.case("data: padded fields", fit(data("pad.csv", rows(300).replace(",", " , "))), 0)
    b.case("data: a 1 MB field", fit(data("bigfield.csv", header + "30," + "n" * (1 << 20) + ",no\n")), 1)
    b.case("data: a 1 MB header name",
           fit(data("bighead.csv", "age,city,paid," + "h" * (1 << 20) + "\n1,north,no,2\n")), 1)
    b.case("data: /dev/zero (no line break, ever)", fit("/dev/zero"), 1, timeout=60)
    b.case("data: /dev/null", fit("/dev/null"), 1)
    b.case("data: a folder", fit("precious"), 1)
    b.case("data: no such file", fit("nowhere.csv"), 1)
    os.mkfifo(b.path("in.fifo"))
    fifo_writer(b.path("in.fifo"), rows(300).encode())
    b.case("data: a FIFO", fit("in.fifo"), 0, timeout=60)
    b.case("data: stdin garbage", fit("-"), 1, stdin=os.urandom(2000))
    b.case("data: stdin rows", fit("-"), 0, stdin=rows(300).encode())

    # ---- B. schema files ---------------------------------------------------------------
    def validate(schema_file, extra=None):
        return (["validate", "--schema", schema_file, "--rows", "600", "--no-privacy",
                 "--batch-size", "100"] + (extra or []))

    def schema_file(name, content):
        b.write(name, content if isinstance(content, str) else json.dumps(content))
        return name

    col = SCHEMA["columns"]
    b.case("schema: not JSON", validate(schema_file("s1.json", "{name: x")), 1)
    b.case("schema: an array", validate(schema_file("s2.json", "[]")), 1)
    b.case("schema: {}", validate(schema_file("s3.json", "{}")), 1,
           check=lambda c, o, e: ":0:0" in e.decode() and "0:0 position")
    b.case("schema: no columns", validate(schema_file("s4.json", {"name": "t", "columns": []})), 1)
    b.case("schema: min > max", validate(schema_file("s5.json", {"name": "t", "columns": [
        {"name": "x", "kind": "continuous", "min": 5, "max": 1}]})), 1)
    b.case("schema: bounds ±1e200", validate(schema_file("s6.json", {"name": "t", "columns": [
        {"name": "x", "kind": "continuous", "min": -1e200, "max": 1e200}]})), 1)
    b.case("schema: a bound as text", validate(schema_file("s7.json", {"name": "t", "columns": [
        {"name": "x", "kind": "continuous", "min": "NaN", "max": 1}]})), 1)
    b.case("schema: unknown kind", validate(schema_file("s8.json", {"name": "t", "columns": [
        {"name": "x", "kind": "weird"}]})), 1)
    b.case("schema: duplicate names", validate(schema_file("s9.json", {"name": "t", "columns": [
        col[0], col[0]]})), 1)
    b.case("schema: duplicate categories", validate(schema_file("s10.json", {"name": "t", "columns": [
        {"name": "c", "kind": "categorical", "categories": ["a", "a"]}]})), 1)
    b.case("schema: nullable \"yes\"", validate(schema_file("s11.json", {"name": "t", "columns": [
        {"name": "c", "kind": "categorical", "categories": ["a"], "nullable": "yes"}]})), 1)
    b.case("schema: a 1 MB column name", validate(schema_file("s12.json", {"name": "t", "columns": [
        {"name": "x" * (1 << 20), "kind": "continuous", "min": 0, "max": 1}]})), 0)
    b.case("schema: /dev/zero", validate("/dev/zero"), 1, timeout=60)
    b.case("schema: a folder", validate("precious"), 1)
    b.case("schema: nested 100 000 deep", validate(schema_file("s13.json", "[" * 100000)), 1)
    b.case("schema: 100 000 categories", validate(schema_file("s14.json", {"name": "t", "columns": [
        {"name": "c", "kind": "categorical", "categories": [f"c{i}" for i in range(100000)]}]})), 0)
    inferred = dict(SCHEMA, inferred_from_data=True)
    b.case("schema: inferred, private validate",
           ["validate", "--schema", schema_file("s15.json", inferred), "--rows", "600",
            "--epsilon", "3", "--delta", "1e-5"], 1)
    b.case("schema: inferred mark not a boolean",
           validate(schema_file("s16.json", dict(SCHEMA, inferred_from_data="yes"))), 1)
    b.case("schema: inferred, private fit spends nothing",
           ["fit", "--data", "train.csv", "--schema", "s15.json", "--epsilon", "3", "--delta",
            "1e-5", "--out", out()] + fast, 1,
           check=lambda c, o, e: "preprocessing:" in e.decode() and "fit started")

    # ---- C. flags ----------------------------------------------------------------------
    base = ["fit", "--data", "train.csv", "--schema", "schema.json", "--out", "mflag"]
    val = ["validate", "--schema", "schema.json", "--rows", "600"]
    priv = ["--epsilon", "3", "--delta", "1e-5"]
    b.case("flag: no privacy choice", base, 2, flag="--epsilon")
    for eps in ["0", "-1", "nan", "inf", "-inf"]:
        b.case(f"flag: --epsilon {eps}", base + ["--epsilon", eps, "--delta", "1e-6"], 2,
               flag="--epsilon")
    b.case("flag: --epsilon 1e-320", val + ["--epsilon", "1e-320", "--delta", "1e-6"], 1)
    b.case("flag: --epsilon 1e300", val + ["--epsilon", "1e300", "--delta", "1e-6",
                                            "--batch-size", "100"], {0, 1})
    for d in ["0", "1", "2", "nan", "-1e-6"]:
        b.case(f"flag: --delta {d}", base + ["--epsilon", "1", "--delta", d], 2, flag="--delta")
    b.case("flag: --delta 1e-320", val + ["--epsilon", "3", "--delta", "1e-320"], {0, 1})
    for e in ["0", "-1", "18446744073709551616", "1e3", "x"]:
        b.case(f"flag: --epochs {e}", base + ["--no-privacy", "--epochs", e], 2, flag="--epochs")
    b.case("flag: --epochs 10^15 (private)", val + priv + ["--epochs", "1000000000000000"], 1)
    for bs in ["0", "1", "-3"]:
        b.case(f"flag: --batch-size {bs}", base + ["--no-privacy", "--batch-size", bs], 2,
               flag="--batch-size")
    b.case("flag: --batch-size 15 without privacy", base + ["--no-privacy", "--batch-size", "15"],
           2, flag="--batch-size",
           check=lambda c, o, e: "pac" in e.decode() and "mentions pac")
    b.case("flag: --batch-size 15 private", val + priv + ["--batch-size", "15", "--epochs", "3"], 0)
    b.case("flag: --batch-size 10^12", val + priv + ["--batch-size", "1000000000000"], 1)
    b.case("flag: --seed -1", base + ["--no-privacy", "--seed", "-1"], 2, flag="--seed")
    b.case("flag: --noise-seed with --no-privacy", base + ["--no-privacy", "--noise-seed", "1"], 2)
    for c in ["0", "-1", "nan"]:
        b.case(f"flag: --clipping-norm {c}", base + priv + ["--clipping-norm", c], 2,
               flag="--clipping-norm")
    b.case("flag: --accountant bogus", base + priv + ["--accountant", "bogus"], 2, flag="--accountant")
    b.case("flag: --model bogus", base + ["--no-privacy", "--model", "bogus"], 2, flag="--model")
    b.case("flag: an unknown flag", base + ["--no-privacy", "--frobnicate"], 2)
    b.case("flag: fit --out -", fit("train.csv")[:-5] + ["-"] + fast[:0], 2, flag="--out")
    sample = ["sample", "--model", "model", "--out", "s.csv"]
    b.case("flag: --rows 0", sample + ["--rows", "0"], 2, flag="--rows")
    b.case("flag: --rows -5", sample + ["--rows", "-5"], 2)
    b.case("flag: --rows 10^20", sample + ["--rows", "100000000000000000000"], 2)
    for cond, code in [("city", 2), ("=x", 2), ("city=", 2), ("city=west", 1), ("nope=x", 1),
                       ("age=30", 1)]:
        b.case(f"flag: --condition {cond}", sample + ["--rows", "5", "--condition", cond], code,
               flag="--condition" if code == 2 else None,
               check=lambda c, o, e: os.path.exists(b.path("s.csv")) and c != 0
               and "s.csv written on failure")
    b.case("flag: report --format bogus", ["report", "--model", "model", "--format", "bogus"], 2)
    b.case("flag: report --model nowhere", ["report", "--model", "nowhere"], 1)
    ev = ["evaluate", "--real", "train.csv", "--synthetic", "holdout.csv", "--schema", "schema.json"]
    b.case("flag: evaluate --threads 0", ev + ["--threads", "0"], 2, flag="--threads")
    b.case("flag: evaluate two stdins",
           ["evaluate", "--real", "-", "--synthetic", "-", "--schema", "schema.json"], 2)
    acc = ["accountant", "epsilon", "--steps", "100", "--delta", "1e-5"]
    b.case("flag: accountant --sample-rate 2", acc + ["--sample-rate", "2", "--noise-multiplier", "1"], 2)
    b.case("flag: accountant --noise-multiplier -1",
           acc + ["--sample-rate", "0.01", "--noise-multiplier", "-1"], 2)
    b.case("flag: accountant sigma --epsilon 1e50",
           ["accountant", "sigma", "--epsilon", "1e50", "--delta", "1e-5", "--sample-rate", "0.01",
            "--steps", "100"], {0, 1, 2})
    b.case("flag: validate --rows 0", ["validate", "--schema", "schema.json", "--rows", "0",
                                       "--no-privacy"], 2, flag="--rows")
    b.case("flag: demo --epochs 0", ["demo", "--epochs", "0", "--out", "d"], 2, flag="--epochs")
    b.case("flag: demo --out /dev/null", ["demo", "--out", "/dev/null"], 2, flag="--out")

    # ---- D. outputs and special files --------------------------------------------------
    smp = ["sample", "--model", "model", "--rows", "50", "--out"]
    b.case("out: /dev/null", smp + ["/dev/null"], 0)
    b.case("out: /dev/full", smp + ["/dev/full"], 1)
    os.mkfifo(b.path("out.fifo"))
    got = []
    t = fifo_reader(b.path("out.fifo"), got)

    def fifo_ok(c, o, e):
        t.join(30)
        if not stat.S_ISFIFO(os.lstat(b.path("out.fifo")).st_mode):
            return "the FIFO was replaced"
        if not got or got[0].count(b"\n") != 51:
            return "the FIFO's reader did not get the rows"
        return None
    b.case("out: a FIFO", smp + ["out.fifo"], 0, check=fifo_ok, timeout=60)
    b.write("target.csv", "old")
    os.symlink("target.csv", b.path("link.csv"))
    b.case("out: a symbolic link", smp + ["link.csv"], 0,
           check=lambda c, o, e: (not os.path.islink(b.path("link.csv"))
                                  or open(b.path("target.csv")).read().count("\n") != 51)
           and "the link was replaced or its target not written")
    b.case("out: a folder", smp + ["precious"], 1)
    b.case("out: under a file", smp + ["blocker/x.csv"], 1)
    b.case("out: in a missing folder", smp + ["no/such/x.csv"], 1)
    b.case("out: -", smp + ["-"], 0,
           check=lambda c, o, e: o.count(b"\n") != 51 and "stdout is not the CSV")
    b.case("out: report to /dev/full", ["report", "--model", "model", "--out", "/dev/full"], 1)
    b.case("out: fit into a user's folder with a model.json", fit("train.csv")[:-5] + ["precious"], 1)
    b.case("out: fit onto a file", fit("train.csv")[:-5] + ["precious/thesis.tex"], 1)
    b.case("out: fit onto a model plus a user's file", fit("train.csv")[:-5] + ["model_plus"], 1)
    b.case("out: fit to a 5000-character name", fit("train.csv")[:-5] + ["n" * 5000], 1)
    b.case("out: private fit under a file spends nothing",
           ["fit", "--data", "train.csv", "--schema", "schema.json", "--out", "blocker/m"] + priv
           + fast, 1, check=lambda c, o, e: "preprocessing:" in e.decode() and "fit started")
    if os.geteuid() == 0 and shutil.which("setpriv"):
        os.mkdir(b.path("readonly"), 0o755)
        b.write("secret.csv", rows(10))
        os.chmod(b.path("secret.csv"), 0o600)
        b.case("out: a folder the user cannot write (uid 65534)",
               ["fit", "--data", "train.csv", "--schema", "schema.json", "--out", "readonly/m"]
               + priv + fast, 1, user=65534,
               check=lambda c, o, e: "preprocessing:" in e.decode() and "fit started")
        b.case("data: a file the user cannot read (uid 65534)",
               ["schema", "infer", "--data", "secret.csv"], 1, user=65534)
    os.mkdir(b.path("tiny"))
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                                             b.path("tiny")], stderr=subprocess.DEVNULL).returncode == 0:
        b.case("out: no room for the model (64 KiB file system)",
               ["fit", "--data", "train.csv", "--schema", "schema.json", "--out", "tiny/m"]
               + priv + fast, 1,
               check=lambda c, o, e: "preprocessing:" in e.decode() and "fit started")
        b.case("out: sample into a full file system",
               ["sample", "--model", "model", "--rows", "100000", "--out", "tiny/s.csv"], 1,
               check=lambda c, o, e: os.listdir(b.path("tiny")) and "left files behind")
        subprocess.run(["umount", b.path("tiny")], check=False)
    b.case("out: schema infer to /dev/null",
           ["schema", "infer", "--data", "train.csv", "--out", "/dev/null"], 0)
    b.case("out: evaluate --html /dev/full", ev + ["--html", "/dev/full"], 1)
    os.mkdir(b.path("zero_model"))
    os.symlink("/dev/zero", b.path("zero_model/model.json"))
    b.case("model: model.json is /dev/zero", ["report", "--model", "zero_model"], 1, timeout=60)
    shutil.copytree(b.path("model"), b.path("damaged"))
    with open(b.path("damaged/parameters.safetensors"), "r+b") as f:
        f.seek(-3, 2)
        byte = f.read(1)
        f.seek(-3, 2)
        f.write(bytes([byte[0] ^ 0x40]))
    b.case("model: a flipped byte", ["sample", "--model", "damaged", "--rows", "5", "--out", "-"], 1)
    os.mkdir(b.path("empty_model"))
    b.case("model: an empty folder", ["report", "--model", "empty_model"], 1)
    b.case("model: a CSV file", ["report", "--model", "train.csv"], 1)


if __name__ == "__main__":
    main()
