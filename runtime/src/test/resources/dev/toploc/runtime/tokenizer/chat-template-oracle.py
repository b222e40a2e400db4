# Independent oracle for ChatTemplateOracleTest: Python's jinja2 set up as transformers sets it up for chat
# templates (transformers/utils/chat_template_utils.py: ImmutableSandboxedEnvironment, trim_blocks,
# lstrip_blocks, loopcontrols, tojson as json.dumps(ensure_ascii=False), raise_exception, strftime_now).
# Reads {"cases": [{"template", "vars"}]} from argv[1]; writes [{"text"} | {"error"}] to argv[2].
import json
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

cases = json.load(open(sys.argv[1], encoding="utf-8"))["cases"]
out = []
for c in cases:
    try:
        out.append({"text": env.from_string(c["template"]).render(**c["vars"])})
    except Exception as e:  # noqa: BLE001 - the test compares that both sides fail
        out.append({"error": str(e)})
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
