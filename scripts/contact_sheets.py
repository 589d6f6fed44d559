"""Contact sheets: one container per format, made by a fresh Layers through the real pipeline,
laid out on one picture per format for a person to judge.

1. A fresh ``layers up`` (SQLite in a temporary data dir, test mode: sandbox providers).
2. A project with a real-looking brief and its app media (logo, two screenshots, a demo
   video); the first influencer, created by the project, is waited for.
3. One container per format (``slideshow-builder``, ``slideshow-remix``, ``video-remix``,
   ``ugc-remix``) through the API, each waited for.
4. Per container a sheet: every slide side by side, or twelve frames of the video
   (evenly spread), under the caption, hashtags, which provider made each part and
   whether the video has an audio stream. Written to ``docs/screenshots/contact-<format>.png``.
5. docs/content.md's "Contact sheets" section (between its markers) is rewritten to embed
   them, with the run's date.

    .venv/bin/python scripts/contact_sheets.py [--out docs/screenshots] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from layers.render import drawing, video  # noqa: E402 (after the path is set)

FORMATS = ("slideshow-builder", "slideshow-remix", "video-remix", "ugc-remix")
BRIEF = {
    "name": "Sprout",
    "timezone": "Europe/London",
    "primaryLanguage": "en",
    "appName": "Sprout",
    "appDescription": (
        "Sprout tells you when each of your houseplants actually needs water, measures the "
        "light on a windowsill with the phone camera, and identifies a plant from one photo. "
        "Care plans follow the season and the humidity of your home, so fewer leaves turn "
        "yellow and nothing drowns."
    ),
    "tagline": "Keep every plant alive, without guessing.",
    "brandVoice": "warm",
    "targetGender": "all",
}
MEDIA = [
    ("logo", "https://cdn.sproutplants.com/brand/logo-512.png"),
    ("screenshot", "https://cdn.sproutplants.com/product/today.png"),
    ("screenshot", "https://cdn.sproutplants.com/product/plant-detail.png"),
    ("demo-video", "https://cdn.sproutplants.com/marketing/demo-30s.mp4"),
]
TILE = (270, 480)  # a quarter of 1080×1920
FRAMES = 12  # per video: two rows of six
GAP = 18
MARGIN = 36
INK = (34, 34, 34)
MUTED = (110, 110, 110)
MARKERS = ("<!-- contact-sheets:start -->", "<!-- contact-sheets:end -->")


@dataclass
class Server:
    base: str
    key: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def free_port() -> int:
    import socket  # only here: the one place a port is picked

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server() -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix="layers-contact-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERS_")}
    env.update(
        {
            "LAYERS_DATA_DIR": str(data_dir),
            "LAYERS_LOG_LEVEL": "WARNING",
            "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        }
    )
    cli = [sys.executable, "-m", "layers.cli.main"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "orgs", "create", "Sprout"], env=env, check=True, capture_output=True)
    key = (
        subprocess.run(
            [*cli, "keys", "create", "--test"], env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [*cli, "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: healthy(base, process, data_dir), 120, every=0.3)
    return Server(base, key, process, data_dir)


def healthy(base: str, process: subprocess.Popen[bytes], data_dir: Path) -> bool:
    if process.poll() is not None:
        raise SystemExit(f"the server exited; see {data_dir / 'server.log'}")
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def wait_for(predicate: Any, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s")
        time.sleep(every)


def ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def make_project(server: Server, http: httpx.Client) -> tuple[str, str]:
    project = ok(http.post("/v1/projects", json=BRIEF, headers=server.headers()), 201)
    pid = project["id"]
    for kind, url in MEDIA:
        ok(
            http.post(
                f"/v1/projects/{pid}/app-media",
                json={"kind": kind, "url": url},
                headers=server.headers(),
            ),
            201,
        )

    def ready() -> str | None:
        items = http.get(f"/v1/projects/{pid}/influencers", headers=server.headers()).json()
        found = [i for i in items["items"] if i["status"] == "ready"]
        return found[0]["influencerId"] if found else None

    return pid, wait_for(ready, 180)


def body_for(server: Server, http: httpx.Client, pid: str, influencer: str, fmt: str) -> Any:
    """What a user would send: the brand's first suggested hook for a builder, the top
    recommended source of the right kind for a remix."""
    body: dict[str, str] = {"influencerId": influencer}
    if fmt == "slideshow-builder":
        bank = ok(http.get(f"/v1/projects/{pid}/content/hooks", headers=server.headers()), 200)
        body["hook"] = bank["hooks"][0]
    elif fmt in ("slideshow-remix", "video-remix"):
        kind = fmt.split("-")[0]
        sources = ok(
            http.get(
                f"/v1/projects/{pid}/content/source-recommendations",
                params={"kind": kind, "limit": 5},
                headers=server.headers(),
            ),
            200,
        )
        body["tiktokVideoId"] = sources["items"][0]["tiktokId"]
    return body


def generate(server: Server, http: httpx.Client, pid: str, influencer: str, fmt: str) -> Any:
    accepted = ok(
        http.post(
            f"/v1/projects/{pid}/content/{fmt}",
            json=body_for(server, http, pid, influencer, fmt),
            headers=server.headers(),
        ),
        202,
    )

    def done() -> Any:
        job = http.get(f"/v1/jobs/{accepted['jobId']}", headers=server.headers()).json()
        return job if job["status"] != "running" else None

    job = wait_for(done, 600, every=1.0)
    if job["status"] != "completed":
        raise SystemExit(f"{fmt}: the generation {job['status']}: {job.get('error')}")
    return ok(http.get(f"/v1/content/{accepted['containerId']}", headers=server.headers()), 200)


def download(http: httpx.Client, url: str) -> bytes:
    parsed = httpx.URL(url)
    response = http.get(f"{parsed.path}?{parsed.query.decode()}")
    response.raise_for_status()
    return response.content


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def frames(data: bytes, work: Path) -> tuple[list[tuple[str, Image.Image]], str]:
    """FRAMES frames, evenly spread (the middle of each twelfth of the video), and what the
    file says about its audio stream."""
    clip = work / "clip.mp4"
    clip.write_bytes(data)
    seconds = video.probe(clip).duration_ms / 1000
    shots: list[tuple[str, Image.Image]] = []
    for index in range(FRAMES):
        at = (index + 0.5) * seconds / FRAMES
        still = work / f"at-{index}.png"
        video.run_ffmpeg(["-ss", f"{at:.2f}", "-i", str(clip), "-frames:v", "1", str(still)])
        shots.append((f"{at:.1f} s", Image.open(still).convert("RGB")))
    described = subprocess.run(
        [video.ffmpeg_exe(), "-hide_banner", "-i", str(clip)], capture_output=True, text=True
    ).stderr
    audio = re.search(r"Audio: ([^\n]+)", described)
    return shots, (f"audio: {audio.group(1).strip()}" if audio else "audio: none")


def sheet(
    fmt: str, container: dict[str, Any], tiles: list[tuple[str, Image.Image]], note: str
) -> Image.Image:
    per_row = min(len(tiles), 6)
    rows = (len(tiles) + per_row - 1) // per_row
    width = MARGIN * 2 + per_row * TILE[0] + (per_row - 1) * GAP
    title, small, label = drawing.font(40), drawing.font(24, bold=False), drawing.font(22)
    caption = drawing.drawable(container.get("caption") or "")
    wrapped = textwrap.wrap(caption, width=max(40, (width - 2 * MARGIN) // 12))[:4]
    providers = container.get("providers") or {}
    facts = [
        "hashtags: " + " ".join("#" + t.lstrip("#") for t in container.get("hashtags") or []),
        "providers: " + (", ".join(f"{k}={v}" for k, v in sorted(providers.items())) or "-"),
    ]
    if note:
        facts.append(note)
    header = MARGIN + 56 + 32 * len(wrapped) + 30 * len(facts) + 24
    height = header + rows * (TILE[1] + 40) + (rows - 1) * GAP + MARGIN
    canvas = Image.new("RGB", (width, height), (246, 244, 240))
    draw = ImageDraw.Draw(canvas)
    draw.text((MARGIN, MARGIN), f"{fmt}  ·  {container['id']}", font=title, fill=INK)
    y = MARGIN + 56
    for line in wrapped:
        draw.text((MARGIN, y), line, font=small, fill=INK)
        y += 32
    for line in facts:
        draw.text((MARGIN, y), drawing.drawable(line)[:160], font=small, fill=MUTED)
        y += 30
    for index, (name, image) in enumerate(tiles):
        row, col = divmod(index, per_row)
        x = MARGIN + col * (TILE[0] + GAP)
        top = header + row * (TILE[1] + 40 + GAP)
        canvas.paste(drawing.cover(image, TILE), (x, top))
        draw.rectangle((x - 1, top - 1, x + TILE[0], top + TILE[1]), outline=(200, 200, 200))
        draw.text((x, top + TILE[1] + 8), name, font=label, fill=MUTED)
    return canvas


def write_section(doc: Path, made: list[tuple[str, Path, dict[str, Any], str]]) -> None:
    """Rewrite the section between the markers (or add it at the end of the file)."""
    intro = (
        f"Made by `scripts/contact_sheets.py` on {datetime.now(UTC):%Y-%m-%d} from a fresh run "
        "(new data dir, test mode: the offline writer and the sandbox providers), one container "
        "per format for the brief of *Sprout*, a plant-care app. Slideshows: every slide; videos: "
        f"{FRAMES} frames, evenly spread over the clip."
    )
    lines = [MARKERS[0], "", textwrap.fill(intro, width=96), ""]
    for fmt, path, container, note in made:
        relative = os.path.relpath(path, doc.parent)
        count = len(container.get("slideTexts") or [])
        heading = f"**{fmt}** — {count} texts" + (f", {note}" if note else "")
        lines += [textwrap.fill(heading, width=96), "", f"![{fmt}]({relative})", ""]
    lines.append(MARKERS[1])
    block = "\n".join(lines)
    text = doc.read_text() if doc.exists() else "# Content\n"
    if MARKERS[0] in text and MARKERS[1] in text:
        start, end = text.index(MARKERS[0]), text.index(MARKERS[1]) + len(MARKERS[1])
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n## Contact sheets\n\n" + block + "\n"
    doc.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "content.md")
    parser.add_argument("--keep", action="store_true", help="keep the run's data dir")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = start_server()
    made: list[tuple[str, Path, dict[str, Any], str]] = []
    try:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            pid, influencer = make_project(server, http)
            for fmt in FORMATS:
                started = time.monotonic()
                container = generate(server, http, pid, influencer, fmt)
                preview = container["preview"]
                note = ""
                with tempfile.TemporaryDirectory(prefix="layers-sheet-") as tmp:
                    if preview["kind"] == "slideshow":
                        tiles = [
                            (f"slide {n}", picture(download(http, url)))
                            for n, url in enumerate(preview["imageUrls"], start=1)
                        ]
                    else:
                        tiles, note = frames(download(http, preview["videoUrl"]), Path(tmp))
                out = args.out / f"contact-{fmt}.png"
                sheet(fmt, container, tiles, note).save(out, optimize=True)
                made.append((fmt, out, container, note))
                print(f"{fmt:<18} {container['id']}  {time.monotonic() - started:5.1f} s  {out}")
    finally:
        stop_server(server)
        if not args.keep:
            shutil.rmtree(server.data_dir, ignore_errors=True)
    write_section(args.doc, made)
    print(f"wrote the contact-sheet section of {args.doc}")


if __name__ == "__main__":
    main()
