"""Write the gateway's OpenAPI document to web/openapi.json, from the FastAPI app
in-process (no running stack): ``.venv/bin/python web/scripts/dump-openapi.py``."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gateway.app import create_app  # noqa: E402

spec = create_app(configure_logs=False).openapi()
out = ROOT / "web" / "openapi.json"
text = json.dumps(spec, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
if not out.exists() or out.read_text() != text:
    out.write_text(text)
