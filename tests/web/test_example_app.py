"""``examples/fastapi_app.py`` served by uvicorn in its own process, called over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_example_app_serves_its_api(url: str, tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(EXAMPLES), "--host", "127.0.0.1", "--port", str(port),
         "fastapi_app:app"],
        cwd=tmp_path, env={**os.environ, "ORMADA_URL": url}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            while True:  # until the server answers, or has stopped
                assert server.poll() is None, server.communicate()[0]
                try:
                    client.get("/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)

            le_guin = client.post("/authors", json={"name": "Ursula K. Le Guin", "born": 1929})
            assert le_guin.status_code == 201, le_guin.text
            author_id = le_guin.json()["id"]
            for title, year in [("The Dispossessed", 1974), ("Tehanu", 1990), ("A Wizard of Earthsea", 1968)]:
                book = client.post("/books", json={"title": title, "year": year, "author_id": author_id})
                assert book.status_code == 201, book.text

            recent = client.get("/books", params={"year__gte": 1970, "order": "-year"})
            assert recent.status_code == 200
            assert [(b["title"], b["author"]["name"], b["age"]) for b in recent.json()["items"]] == [
                ("Tehanu", "Ursula K. Le Guin", 36), ("The Dispossessed", "Ursula K. Le Guin", 52)]
            assert client.get("/authors", params={"page": 1}).json()["count"] == 1

            refused = client.post("/shelves", json={"author": "Octavia E. Butler", "titles": ["Kindred", " "]})
            assert refused.status_code == 400
            assert client.get("/authors", params={"name": "Octavia E. Butler"}).json()["items"] == []  # rolled back
            shelf = client.post("/shelves", json={"author": "Octavia E. Butler", "titles": ["Kindred", "Dawn"]})
            assert shelf.status_code == 201 and shelf.json()["books"] == 2

            assert client.post(f"/authors/{author_id}/retire").json() == {"books_deleted": 3}
            assert client.get(f"/authors/{author_id}").status_code == 404
            assert client.get(f"/authors/{author_id}").json()["error"] == "does-not-exist"
            assert client.post("/authors/999/retire").status_code == 404
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "Traceback" not in output, output
