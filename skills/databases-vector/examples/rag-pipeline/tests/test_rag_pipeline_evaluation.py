"""The evaluation command prints the measured numbers; bad input is one line and exit 2;
the served app and the generator follow the RAG_PIPELINE_* settings."""

from __future__ import annotations

import json

import pytest
from rag_pipeline.evaluation import main
from rag_pipeline.generators import ExtractiveGenerator, OpenAICompatibleGenerator
from rag_pipeline.pipeline import generator_for
from rag_pipeline.settings import Settings


def test_the_evaluation_prints_hit_at_k_refusals_and_latency_as_json(capsys):
    assert main(["--k", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hit_at_k"]["hybrid"] == 1.0
    assert result["off_topic_refused"] == result["off_topic"]
    assert 0 < result["ask_ms_median"] <= result["ask_ms_max"]


@pytest.mark.parametrize("argv", [["--k", "0"], ["--k", "11"], ["--k", "four"], ["--nope"]])
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("rag_pipeline.evaluation: error: ") and error.count("\n") == 1


def test_settings_come_from_the_environment_and_pick_the_generator(monkeypatch, embedder):
    assert isinstance(generator_for(Settings.from_environment(), embedder), ExtractiveGenerator)
    monkeypatch.setenv("RAG_PIPELINE_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_PIPELINE_LLM_MODEL", "qwen3-4b")
    settings = Settings.from_environment()
    generator = generator_for(settings, embedder)
    assert isinstance(generator, OpenAICompatibleGenerator)
    assert generator.name == "openai-compatible:qwen3-4b"
    generator.close()


def test_app_py_serves_the_handbook_from_the_configured_store(monkeypatch, tmp_path, serve):
    from importlib.util import module_from_spec, spec_from_file_location

    from rag_pipeline.settings import EXAMPLE_DIR

    monkeypatch.setenv("RAG_PIPELINE_STORE", str(tmp_path / "served.db"))
    spec = spec_from_file_location("rag_pipeline_app", EXAMPLE_DIR / "app.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (tmp_path / "served.db").is_file()
    body = serve(module.app).post("/ask", json={"question": "How are webhooks signed?"}).json()
    assert "HMAC-SHA256" in body["answer"]
