"""The ai-chat frontend's side of token streaming: a chat panel whose answer grows per token.

`StreamingChat` is an ipywidgets panel (the messages, a text box, Send) over the model
server's streamed chat completions: the assistant's message is re-rendered on every token
the stream brings, and the time to first token and the tokens per second go under each
answer. `send()` is what the button calls, so a headless run drives the same code. The
same flow as a plain page (`CHAT_PAGE`, fetch and a stream reader, nothing from a CDN) can
be mounted on the notebook's own app with `add_chat_page`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import httpx
import ipywidgets as widgets
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from streaming_client import StreamRefused, chat_body, stream_chat


@dataclass
class ChatTurn:
    question: str
    answer: str = ""
    frames: list[str] = field(default_factory=list)  # what the answer showed, token by token
    ttft: float | None = None
    tokens_per_second: float | None = None
    finish_reason: str | None = None
    problem: dict[str, Any] | None = None  # an error answered before the stream started


# region chat-panel
class StreamingChat:
    """A chat panel on BASE_URL's /v1/chat/completions, streaming each answer."""

    def __init__(self, base_url: str, *, max_tokens: int, temperature: float, seed: int | None):
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.sampling = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}
        self.messages: list[dict[str, str]] = []  # the conversation the next request sends
        self.turns: list[ChatTurn] = []
        self._log = widgets.VBox()
        self._box = widgets.Text(placeholder="Message the model", layout={"width": "70%"})
        self._send = widgets.Button(description="Send", icon="paper-plane")
        self._send.on_click(lambda _button: self.send(self._box.value))
        self.view = widgets.VBox([self._log, widgets.HBox([self._box, self._send])])

    def send(self, text: str) -> ChatTurn:
        """Send TEXT with the conversation so far; the answer grows as its tokens arrive."""
        turn = ChatTurn(question=text.strip())
        self._box.value = ""
        asked = [*self.messages, {"role": "user", "content": turn.question}]
        bubble, footer = widgets.HTML(), widgets.HTML()
        you = widgets.HTML(f"<p style='text-align:right'><b>You:</b> {escape(turn.question)}</p>")
        self._log.children = (*self._log.children, you, bubble, footer)

        def grow(piece: str) -> None:  # called by stream_chat for every content token
            turn.answer += piece
            turn.frames.append(turn.answer)
            bubble.value = f"<p><b>Model:</b> {escape(turn.answer)}</p>"

        try:
            result = stream_chat(self.client, chat_body(asked, **self.sampling), on_piece=grow)
        except StreamRefused as refused:  # nothing was streamed: show the problem's detail
            turn.problem = refused.problem
            bubble.value = f"<p><b>Model:</b> <i>{escape(str(refused))}</i></p>"
        else:
            turn.ttft, turn.finish_reason = result.ttft, result.finish_reason
            turn.tokens_per_second = result.tokens_per_second
            self.messages = [*asked, {"role": "assistant", "content": turn.answer}]
            # A few tokens can arrive in one network read: too few to time their rate.
            speed = (
                f"at {result.tokens_per_second:.0f} tokens/s"
                if len(result.pieces) >= 8
                else "(too few to time)"
            )
            footer.value = (
                f"<small>first token after {result.ttft * 1000:.0f} ms, "
                f"{len(result.pieces)} tokens {speed}, finish: {result.finish_reason}</small>"
            )
        self.turns.append(turn)
        return turn

    def close(self) -> None:
        self.client.close()


# endregion


# region chat-page
CHAT_PAGE = """<!doctype html>
<meta charset="utf-8"><title>Streaming chat</title>
<form id="ask"><input id="q" size="60" value="Tell me about vector databases">
<button>Send</button></form><p id="answer"></p><small id="stats"></small>
<script>
document.getElementById("ask").onsubmit = async (e) => {
  e.preventDefault();
  const out = document.getElementById("answer"), stats = document.getElementById("stats");
  const started = performance.now(); let first = null, tokens = 0, buffer = "";
  out.textContent = "";
  const response = await fetch("/v1/chat/completions", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({model: "tiny-transformer", stream: true, max_tokens: 48,
      temperature: 0, messages: [{role: "user", content: document.getElementById("q").value}]}),
  });
  if (!response.ok) { out.textContent = (await response.json()).detail; return; }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += value;
    const events = buffer.split("\\n\\n"); buffer = events.pop();  // keep a partial event
    for (const event of events) {
      const data = event.split("\\n").filter(l => l.startsWith("data:"))
        .map(l => l.slice(5).trimStart()).join("\\n");
      if (!data || data === "[DONE]") continue;
      const piece = JSON.parse(data).choices[0]?.delta?.content;
      if (piece) { first ??= performance.now(); tokens += 1; out.textContent += piece; }
    }
  }
  stats.textContent = `first token after ${Math.round(first - started)} ms, ${tokens} tokens`;
};
</script>
"""


def add_chat_page(app: FastAPI, path: str = "/chat") -> None:
    """Serve CHAT_PAGE from APP itself: same origin, so no CORS, and nothing from a CDN."""

    @app.get(path, response_class=HTMLResponse, include_in_schema=False)
    async def chat_page() -> str:
        return CHAT_PAGE


# endregion
