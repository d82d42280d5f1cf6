"""A generation playground: a prompt, a token budget, tokens streaming in (notebook 06-04).

The Generate button and a headless run call the same coroutine, ``generate``: it starts
the engine if no generation is in flight, streams the tokens into the Output as the engine
yields them, updates the stats line, and stops the engine again when the last generation
in flight ends, so the playground never leaves a thread running between clicks.
"""

from __future__ import annotations

import asyncio
import time

import ipywidgets as widgets
from inference_server.continuous_batching import GenerationEngine
from inference_server.tiny_transformer import TinyTransformer


# region playground
class Playground:
    """Prompt box, max-tokens slider, Generate button, streamed Output, live stats line."""

    def __init__(self, model: TinyTransformer, *, max_batch_size: int = 8) -> None:
        self.model = model
        self.engine = GenerationEngine(model, max_batch_size=max_batch_size)
        self.in_flight = 0
        self.tasks: set[asyncio.Task] = set()  # clicks' generations, kept from the collector
        self.last_text = ""
        self.prompt = widgets.Textarea(value="A vector database", description="Prompt")
        self.max_tokens = widgets.IntSlider(value=30, min=1, max=100, description="Max tokens")
        self.button = widgets.Button(description="Generate", button_style="primary")
        self.button.on_click(lambda _button: self.click())
        self.output = widgets.Output(layout={"border": "1px solid #ccc", "min_height": "3em"})
        self.stats = widgets.HTML()
        self.view = widgets.VBox(
            [widgets.HBox([self.prompt, self.max_tokens, self.button]), self.output, self.stats]
        )
        self.show_stats(0, 0.0)

    def click(self) -> None:
        """The button: run ``generate`` on the kernel's event loop, without blocking it."""
        task = asyncio.get_running_loop().create_task(
            self.generate(self.prompt.value, max_tokens=self.max_tokens.value)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def generate(self, prompt: str, *, max_tokens: int) -> str:
        """Stream a greedy continuation of PROMPT into the Output; return its text."""
        prompt_ids = self.model.encode(prompt)
        self.model.check_request(prompt_ids, max_tokens)  # a bad request never starts the engine
        self.in_flight += 1
        if self.in_flight == 1:
            self.engine.start()
        pieces: list[str] = []
        started = time.perf_counter()
        try:
            self.output.clear_output()
            self.output.append_stdout(prompt)
            async for token in self.engine.stream(prompt_ids, max_tokens):
                piece = self.model.token_text(token)
                pieces.append(piece)
                self.output.append_stdout(piece)
                self.show_stats(len(pieces), time.perf_counter() - started)
            self.last_text = "".join(pieces)
            return self.last_text
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.engine.stop()
            self.show_stats(len(pieces), time.perf_counter() - started)

    def show_stats(self, tokens: int, seconds: float) -> None:
        stats = self.engine.stats()
        rate = f"{tokens / seconds:,.0f} tokens/s" if seconds > 0 else "- tokens/s"
        self.stats.value = (
            f"active {stats['active']} · waiting {stats['waiting']} · "
            f"this answer {tokens} tokens, {rate} · engine total {stats['generated_tokens']}"
        )


# endregion
