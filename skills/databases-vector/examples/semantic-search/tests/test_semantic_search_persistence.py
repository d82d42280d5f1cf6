"""The data outlives the app, and a new process finds the embedder by name, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from fastapi.testclient import TestClient
from semantic_search.api import Settings, create_app

WAFFLES = {
    "id": "kitchen-11",
    "text": "Waffle iron with deep square plates and a beeper that says when they are done.",
    "metadata": {"category": "kitchen", "year": 2025},
}

# Run first in the child process: sockets that refuse, and record, any address beyond
# loopback. A model download, a telemetry ping or a DNS lookup of a hub would show here.
NETWORK_GUARD = """
import socket

attempts = []
LOOPBACK = ("localhost", "::1")


def check(host, port):
    if host is None or (isinstance(host, str) and (host in LOOPBACK or host.startswith("127."))):
        return
    attempts.append(f"{host}:{port}")
    raise OSError(f"network access refused by the test: {host}:{port}")


def guarded_connect(original):
    def connect(self, address):
        if isinstance(address, tuple):
            check(address[0], address[1])
        return original(self, address)
    return connect


socket.socket.connect = guarded_connect(socket.socket.connect)
socket.socket.connect_ex = guarded_connect(socket.socket.connect_ex)
original_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, port, *args, **kwargs):
    check(host.decode() if isinstance(host, bytes) else host, port)
    return original_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
"""


def run_guarded(example_dir, code: str, *args: str) -> dict:
    """CODE in a fresh interpreter behind the guard; the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=example_dir,
        env={**os.environ, "PYTHONPATH": str(example_dir)},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_guard_refuses_and_records_an_outside_connection(example_dir):
    code = """
        import json, socket

        try:
            socket.create_connection(("example.org", 80), timeout=1)
        except OSError as error:
            print(json.dumps({"error": str(error), "attempts": attempts}))
    """
    report = run_guarded(example_dir, code)
    assert report["attempts"] == ["example.org:80"]
    assert "refused by the test" in report["error"]


def test_a_restarted_app_on_the_same_folder_has_the_data(open_client, data_dir):
    with TestClient(create_app(Settings(data_dir=data_dir))) as first:
        assert first.post("/documents", json={"documents": [WAFFLES]}).status_code == 200
        assert first.delete("/documents/toys-03").status_code == 204
    # The shutdown closed the Chroma client and its files; a new app opens them again.
    second = open_client(data_dir)
    assert second.get("/documents/kitchen-11").json() == WAFFLES
    assert second.get("/documents/toys-03").status_code == 404
    top = second.get("/search", params={"q": "breakfast waffles", "k": 1}).json()["results"]
    assert top[0]["id"] == "kitchen-11"
    # 80 sampled - 1 deleted + 1 new: the deleted product was not seeded back on start-up.
    assert second.app.state.store.count() == 80


def test_a_new_process_rebuilds_the_embedder_from_the_stored_config(example_dir, data_dir):
    code = """
        import json, sys

        import chromadb
        from semantic_search.embeddings import chroma_embedding_function

        chroma_embedding_function()  # defines and registers the class, by its name
        client = chromadb.PersistentClient(
            path=sys.argv[1], settings=chromadb.Settings(anonymized_telemetry=False)
        )
        products = client.get_collection("products")  # no embedding function passed
        found = products.query(query_texts=["toy automobile"], n_results=1)
        stored = products.configuration_json["embedding_function"]
        print(json.dumps({
            "function": stored["name"], "space": products.configuration_json["hnsw"]["space"],
            "count": products.count(), "top": found["ids"][0][0], "attempts": attempts,
        }))
    """
    report = run_guarded(example_dir, code, str(data_dir))
    assert report == {
        "function": "backend-skills",
        "space": "cosine",
        "count": 80,
        "top": "toys-04",
        "attempts": [],
    }


def test_the_whole_service_runs_with_no_network(example_dir, tmp_path):
    # From nothing: the model loads from its wheel, Chroma creates its files, the sample is
    # embedded and searched, and not one connection beyond loopback is tried.
    code = """
        import json, sys
        from pathlib import Path

        from fastapi.testclient import TestClient
        from semantic_search.api import Settings, create_app

        with TestClient(create_app(Settings(data_dir=Path(sys.argv[1])))) as client:
            response = client.get("/search", params={"q": "a boat", "k": 1})
        print(json.dumps({"top": response.json()["results"][0]["id"], "attempts": attempts}))
    """
    report = run_guarded(example_dir, code, str(tmp_path / "fresh"))
    assert report == {"top": "outdoor-07", "attempts": []}
