"""Token streaming from the client's side: the SSE wire, a parser, timings, leaving early.

The lesson 03-streaming-tokens reads a model server's `text/event-stream` the way a browser
or the official `openai` client does: line by line, events split by blank lines, each
`data:` field a `chat.completion.chunk` in JSON, the stream ended by `data: [DONE]`. Each
chunk is stamped with `time.perf_counter()` as it arrives, so time to first token (TTFT),
total time and tokens per second come from what the client saw, not from the server's word.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

CHAT_PATH = "/v1/chat/completions"
DONE = "[DONE]"  # OpenAI's end-of-stream sentinel: not JSON, so check it before parsing


# region sse-parser
@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str = "message"
    id: str = ""


class SSEParser:
    """Feed a stream's lines one at a time; a blank line completes an event.

    The rules are the HTML standard's (section "Parsing an event stream"): a line starting
    with ':' is a comment (servers send them as keep-alives), `field: value` drops one
    space after the colon, several `data` lines join with newlines, and the last event id
    carries over to later events. Reconnection (`retry`) is a browser's business: ignored.
    """

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""

    def feed(self, line: str) -> ServerSentEvent | None:
        if not line:  # a blank line dispatches what the lines before it built
            data, event = self._data, self._event
            self._data, self._event = [], ""
            if not data:
                return None
            return ServerSentEvent("\n".join(data), event or "message", self._last_id)
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None  # unknown fields are ignored, as the standard says


def parse_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """The events in LINES (an event not ended by a blank line is dropped, per the standard)."""
    parser = SSEParser()
    for line in lines:
        if (event := parser.feed(line)) is not None:
            yield event


async def aparse_sse(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    parser = SSEParser()
    async for line in lines:
        if (event := parser.feed(line)) is not None:
            yield event


# endregion


def chat_body(
    prompt: str | list[dict[str, str]],
    *,
    max_tokens: int,
    temperature: float,
    seed: int | None,
    stream: bool = True,
    model: str = "tiny-transformer",
) -> dict[str, Any]:
    """A chat request: PROMPT is one user message, or the whole conversation's messages."""
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
    body = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "seed": seed,
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}  # a last chunk carries the usage
    return body


def _not_streamed(body: dict[str, Any]) -> dict[str, Any]:
    plain = {key: value for key, value in body.items() if key != "stream_options"}
    return plain | {"stream": False}


def complete(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """BODY's request without streaming: the first choice of the chat.completion."""
    response = client.post(CHAT_PATH, json=_not_streamed(body))
    response.raise_for_status()
    return response.json()["choices"][0]


async def concurrent_completions(base_url: str, bodies: list[dict[str, Any]]) -> list[dict]:
    """The BODIES' requests without streaming, sent all at once: each one's first choice."""

    async def one(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(CHAT_PATH, json=_not_streamed(body))
        response.raise_for_status()
        return response.json()["choices"][0]

    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        return list(await asyncio.gather(*(one(client, body) for body in bodies)))


# region streamed-completion
class StreamRefused(RuntimeError):
    """The server answered an error before the stream started (status, problem details)."""

    def __init__(self, status: int, content_type: str, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status, self.content_type, self.problem = status, content_type, problem


@dataclass
class StreamedCompletion:
    """What one streamed chat completion looked like from the client, with timestamps."""

    started: float  # perf_counter when the request was sent
    chunks: list[dict[str, Any]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)  # one per chunk
    pieces: list[str] = field(default_factory=list)  # the content deltas that were not empty
    token_arrivals: list[float] = field(default_factory=list)
    done_at: float | None = None  # when [DONE] arrived (None: the stream ended without it)
    raw_lines: list[str] = field(default_factory=list)

    def add(self, event: ServerSentEvent, now: float) -> None:
        if event.data == DONE:
            self.done_at = now
            return
        chunk = json.loads(event.data)
        self.chunks.append(chunk)
        self.arrivals.append(now)
        for choice in chunk["choices"]:
            if content := choice["delta"].get("content"):
                self.pieces.append(content)
                self.token_arrivals.append(now)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def finish_reason(self) -> str | None:
        reasons = [c.get("finish_reason") for ch in self.chunks for c in ch["choices"]]
        return next((r for r in reasons if r), None)

    @property
    def usage(self) -> dict[str, int] | None:
        return next((c["usage"] for c in self.chunks if c.get("usage")), None)

    @property
    def ttft(self) -> float:
        """Seconds from sending the request to the first content token (not the role chunk)."""
        return self.token_arrivals[0] - self.started

    @property
    def total(self) -> float:
        end = self.done_at if self.done_at is not None else self.arrivals[-1]
        return end - self.started

    @property
    def tokens_per_second(self) -> float:
        """Decode speed the reader saw: tokens after the first over the time they took."""
        if len(self.token_arrivals) < 2:
            return float("nan")
        return (len(self.token_arrivals) - 1) / (self.token_arrivals[-1] - self.token_arrivals[0])


def _refused(response: httpx.Response) -> StreamRefused:
    content_type = response.headers.get("content-type", "")
    problem = response.json() if "json" in content_type else {"detail": response.text}
    return StreamRefused(response.status_code, content_type, problem)


# endregion


# region stream-chat
def stream_chat(
    client: httpx.Client,
    body: dict[str, Any],
    *,
    on_piece: Callable[[str], None] | None = None,
    keep_raw: bool = False,
) -> StreamedCompletion:
    """POST BODY with stream=true and read the events as they arrive (ON_PIECE per token)."""
    result = StreamedCompletion(started=time.perf_counter())
    with client.stream("POST", CHAT_PATH, json=body) as response:
        if response.status_code != 200:  # an error before the stream: a problem, not events
            response.read()
            raise _refused(response)

        def lines() -> Iterator[str]:
            for line in response.iter_lines():
                if keep_raw:
                    result.raw_lines.append(line)
                yield line

        for event in parse_sse(lines()):
            before = len(result.pieces)
            result.add(event, time.perf_counter())
            if on_piece is not None and len(result.pieces) > before:
                on_piece(result.pieces[-1])
    return result


async def astream_chat(client: httpx.AsyncClient, body: dict[str, Any]) -> StreamedCompletion:
    """The same, on an event loop: many of these run at once on one thread."""
    result = StreamedCompletion(started=time.perf_counter())
    async with client.stream("POST", CHAT_PATH, json=body) as response:
        if response.status_code != 200:
            await response.aread()
            raise _refused(response)
        async for event in aparse_sse(response.aiter_lines()):
            result.add(event, time.perf_counter())
    return result


# endregion


# region concurrent
async def concurrent_streams(
    base_url: str, bodies: list[dict[str, Any]]
) -> list[StreamedCompletion]:
    """Open one stream per body, all at once, and wait for every one to finish."""
    limits = httpx.Limits(max_connections=len(bodies))  # one connection per stream
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        return list(await asyncio.gather(*(astream_chat(client, body) for body in bodies)))


def percentile_table(
    runs: dict[int, list[StreamedCompletion]], walls: dict[int, list[float]]
) -> list[dict[str, float]]:
    """Per level: TTFT and total time at p50 and p95 (ms), and tokens/s per stream and all."""
    import numpy as np

    rows = []
    for level, results in runs.items():
        ttft = np.array([r.ttft for r in results]) * 1000
        total = np.array([r.total for r in results]) * 1000
        speed = [r.tokens_per_second for r in results if len(r.pieces) > 1]
        tokens = sum(len(r.pieces) for r in results)
        rows.append(
            {
                "streams": level,
                "TTFT p50 ms": round(float(np.percentile(ttft, 50)), 1),
                "TTFT p95 ms": round(float(np.percentile(ttft, 95)), 1),
                "total p50 ms": round(float(np.percentile(total, 50)), 1),
                "total p95 ms": round(float(np.percentile(total, 95)), 1),
                "tokens/s per stream p50": round(float(np.median(speed)), 0),
                "tokens/s all streams": round(tokens / sum(walls[level]), 0),
            }
        )
    return rows


# endregion


# region leave-early
def read_then_leave(client: httpx.Client, body: dict[str, Any], tokens: int) -> list[str]:
    """Read TOKENS content pieces, then close the connection, as a closed browser tab does."""
    pieces: list[str] = []
    with client.stream("POST", CHAT_PATH, json=body) as response:
        for event in parse_sse(response.iter_lines()):
            if event.data == DONE:
                break
            for choice in json.loads(event.data)["choices"]:
                if content := choice["delta"].get("content"):
                    pieces.append(content)
            if len(pieces) >= tokens:
                break  # leaving the with block closes the unfinished response's connection
    return pieces


def wait_for_stats(
    client: httpx.Client, ready: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """Poll GET /stats until READY(generation stats) holds, for TIMEOUT seconds at most."""
    deadline = time.monotonic() + timeout
    while True:
        stats = client.get("/stats").json()["generation"]
        if ready(stats) or time.monotonic() > deadline:
            return stats
        time.sleep(0.02)


# endregion
