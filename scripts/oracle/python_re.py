#!/usr/bin/env python3
"""Python's own `re.match` on compressed-tensors-style targets: the oracle for the runtime's ModulePattern.

compressed-tensors matches a `re:` target as `re.match(pattern, module_name)`. This script draws patterns
from the syntax ModulePattern accepts (and from constructs near it: lazy and possessive repeats, literal
braces, anchors, bad syntax, lookaround, backreferences), a few module-like names for each, and records what
CPython's `re` says: one JSON object per line, {"p": pattern, "s": [names], "m": [0|1 per name]} or
{"p": pattern, "error": "..."} when Python refuses the pattern, or {"p": pattern, "python_accepts": true,
"s": ..., "m": ...} for the constructs ModulePattern refuses on purpose (it must refuse them too).

    python3 scripts/oracle/python_re.py > test-vectors/python-re/module-patterns.jsonl

Deterministic (seed 20261201); stdlib only.
"""
import json
import random
import re
import signal
import sys

R = random.Random(20261201)

ATOMS = ["a", "b", "_", "0", "7", "\\.", ".", "-", "[ab]", "[^a]", "[a-c_]", "[0-9]", "\\d", "\\D", "\\w", "\\W",
         "\\s", "\\S", "[\\d.]", "[]a]", "[a-]", "[-b]", "\\-", "\\\\", "\\n", "}", "]", "{", "{x}"]
QUANTS = ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,2}", "{2,}", "{,2}", "{0}", "{3,3}", "{1,2}?", "{,}"]
NAME_PARTS = ["model", "layers", "0", "1", "12", "self_attn", "q_proj", "mlp", "gate", "gate_proj", "down_proj", "lm_head",
              "a", "b", "ab", "_", "7", "aa", "bb"]


def pattern(depth=0):
    parts = []
    for _ in range(R.randint(1, 4)):
        r = R.random()
        if r < 0.15 and depth < 3:
            inner = pattern(depth + 1)
            if R.random() < 0.4:
                inner = inner + "|" + pattern(depth + 1)
            atom = ("(?:" if R.random() < 0.5 else "(") + inner + ")"
        else:
            atom = R.choice(ATOMS)
        if R.random() < 0.4:
            atom += R.choice(QUANTS)
            if R.random() < 0.1:  # a second repeat: an error, or possessive in Python 3.11+
                atom += R.choice(QUANTS + ["+"])
        parts.append(atom)
    p = "".join(parts)
    if depth == 0:
        if R.random() < 0.2:
            p = "^" + p
        if R.random() < 0.3:
            p = p + "$"
        if R.random() < 0.15:
            p = ".*" + p
    return p


def name():
    sep = R.choice([".", "", "_", "-"])
    s = sep.join(R.choice(NAME_PARTS) for _ in range(R.randint(1, 4)))
    if R.random() < 0.1:
        s += "\n"
    if R.random() < 0.05:
        s = ""
    return s


# Python refuses these; ModulePattern must too
BAD = ["(", ")", "a)", "(a", "[a", "[", "*a", "+", "a**", "a{2}{3}", "a{3,1}", "\\", "a\\", "[b-a]", "^*", "$+", "a|*",
       "(?", "a*{2}", "\\d-\\d]", "[\\d-z]"]
# Python accepts these; ModulePattern refuses them on purpose
REFUSED = ["(?=a)a", "(?!b)a", "(?<=a)b", "(?P<x>a)(?P=x)", "(a)\\1", "(?i)A", "\\ba", "\\x41", "\\u0041", "\\Aa",
           "a\\Z", "a*+", "a++", "a?+", "a{1,2}+", "(?>a)", "[[:alpha:]]", "\\0", "(?#c)a"]


def possessive(p):
    """Whether Python 3.11+ reads a possessive repeat or an atomic group in p (ModulePattern refuses both)."""
    import re._constants as C
    import re._parser as P

    def walk(node):
        if isinstance(node, P.SubPattern):
            return any(walk(item) for item in node.data)
        if isinstance(node, (tuple, list)):
            if node and node[0] in (C.POSSESSIVE_REPEAT, C.ATOMIC_GROUP):
                return True
            return any(walk(x) for x in node)
        return False
    return walk(P.parse(p))


def timeout(signum, frame):
    raise TimeoutError


def main():
    signal.signal(signal.SIGALRM, timeout)
    out = sys.stdout
    seen = set()
    for p in BAD + REFUSED:
        seen.add(p)
        try:
            c = re.compile(p)
        except re.error as e:
            out.write(json.dumps({"p": p, "error": str(e)}) + "\n")
            continue
        names = ["a", "ab", "b", "A", "aa", "0", "", "0-0]"]
        record = {"p": p, "s": names, "m": [int(c.match(s) is not None) for s in names]}
        if p in REFUSED:
            record = {"p": p, "python_accepts": True, **record}
        out.write(json.dumps(record) + "\n")
    n = 0
    while n < 2000:
        p = pattern()
        if p in seen:
            continue
        seen.add(p)
        try:
            c = re.compile(p)
        except re.error as e:
            out.write(json.dumps({"p": p, "error": str(e)}) + "\n")
            n += 1
            continue
        names = [name() for _ in range(8)]
        signal.alarm(1)  # CPython's re backtracks: a pattern it cannot match in a second is left out
        try:
            record = {"p": p, "s": names, "m": [int(c.match(s) is not None) for s in names]}
        except TimeoutError:
            continue
        finally:
            signal.alarm(0)
        if possessive(p):
            record = {"p": p, "python_accepts": True, **record}
        out.write(json.dumps(record) + "\n")
        n += 1


if __name__ == "__main__":
    main()
