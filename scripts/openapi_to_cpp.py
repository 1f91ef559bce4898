#!/usr/bin/env python3
"""Turns docs/openapi.yaml into a C++ source that returns it as JSON (served at /api/openapi.json)."""
import json
import sys

import yaml

src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    doc = yaml.safe_load(f)
text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
chunks = [text[i:i + 8000] for i in range(0, len(text), 8000)]  # stay under compilers' literal limits
with open(out, "w", encoding="utf-8") as f:
    f.write("// Generated from docs/openapi.yaml by scripts/openapi_to_cpp.py. Do not edit.\n")
    f.write("#include \"app/serve.hpp\"\n#include <string>\n")
    f.write("namespace rallyuxr::app {\nconst char* openapi_json() {\n  static const std::string kText = std::string()")
    for c in chunks:
        f.write("\n    + std::string(R\"OPENAPI(" + c + ")OPENAPI\")")
    f.write(";\n  return kText.c_str();\n}\n}  // namespace rallyuxr::app\n")
