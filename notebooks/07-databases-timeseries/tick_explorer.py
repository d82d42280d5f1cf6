"""A tick explorer for 07-05: pick a symbol and a bar size, see its candles, VWAP and volume.

Each change runs the OHLCV query on DuckDB for that symbol and bar size and redraws the
chart. ``show(symbol, bar)`` is what the dropdowns call, so a headless run explores in
code; a symbol or bar size the feed does not have gets a one-line error in the status
line and leaves the last chart as it was.
"""

from __future__ import annotations

from html import escape

import duckdb
import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from tick_joins import BAR_SIZES, bars

from backend_skills.figures import figure_bundle


# region figure
def candlestick_figure(frame: pd.DataFrame, symbol: str, bar: str) -> go.Figure:
    """Candles with the bars' VWAP above, volume below, one bar per BAR."""
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.04
    )
    figure.add_candlestick(
        x=frame["bar"],
        open=frame["open"],
        high=frame["high"],
        low=frame["low"],
        close=frame["close"],
        name="OHLC",
        row=1,
        col=1,
    )
    figure.add_scatter(
        x=frame["bar"],
        y=frame["vwap"],
        name="VWAP",
        mode="lines",
        line_color="#264653",
        row=1,
        col=1,
    )
    figure.add_bar(
        x=frame["bar"], y=frame["volume"], name="volume", marker_color="#8ab6d6", row=2, col=1
    )
    figure.update_layout(
        title=f"{symbol}: {bar} bars with VWAP and volume",
        height=460,
        margin={"t": 50, "b": 40},
        xaxis_rangeslider_visible=False,
        showlegend=True,
    )
    figure.update_xaxes(title_text="bar start (UTC)", row=2, col=1)
    figure.update_xaxes(title_text="time", row=1, col=1)
    figure.update_yaxes(title_text="price", row=1, col=1)
    figure.update_yaxes(title_text="volume (shares)", row=2, col=1)
    return figure


# endregion


# region explorer
class TickExplorer:
    """Bars of one symbol at a time from CON's trades table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, symbols: list[str], bar: str = "1m"):
        self.con = con
        self.symbols = list(symbols)
        self.bars: pd.DataFrame | None = None
        self.figure: go.Figure | None = None
        self.error: str | None = None
        self._symbol = widgets.Dropdown(
            options=self.symbols, value=self.symbols[0], description="symbol"
        )
        self._bar = widgets.Dropdown(options=list(BAR_SIZES), value=bar, description="bar")
        self._status = widgets.HTML()
        self._chart = widgets.Output()
        self._updating = False  # show() sets both dropdowns; their observers must not re-run it
        for dropdown in (self._symbol, self._bar):
            dropdown.observe(self._on_change, names="value")
        self.view = widgets.VBox(
            [widgets.HBox([self._symbol, self._bar]), self._status, self._chart]
        )
        self.show(self.symbols[0], bar)

    def _on_change(self, _change) -> None:
        if not self._updating:
            self.show(self._symbol.value, self._bar.value)

    def show(self, symbol: str, bar: str) -> pd.DataFrame | None:
        """Draw SYMBOL's BAR bars; returns them (None, with the error shown, for bad input)."""
        if symbol not in self.symbols:
            return self._fail(f"symbol: {symbol!r} is not in the feed ({', '.join(self.symbols)})")
        if bar not in BAR_SIZES:
            return self._fail(f"bar: {bar!r} is not one of {', '.join(BAR_SIZES)}")
        self.error = None
        self._updating = True
        self._symbol.value, self._bar.value = symbol, bar
        self._updating = False
        self.bars = bars(self.con, bar, symbol)
        self.figure = candlestick_figure(self.bars, symbol, bar)
        bundle = {**figure_bundle(self.figure), "text/plain": f"<{symbol} {bar} chart>"}
        self._chart.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        b = self.bars
        vwap = (b["vwap"] * b["volume"]).sum() / b["volume"].sum()
        self._status.value = escape(
            f"{symbol} · {bar}: {len(b)} bars, {b['trades'].sum():,} trades, "
            f"volume {b['volume'].sum():,}, session VWAP {vwap:.4f}, "
            f"range {b['low'].min():.2f}-{b['high'].max():.2f}"
        )
        return self.bars

    def status(self) -> str:
        return self._status.value

    def _fail(self, message: str) -> None:
        self.error = message
        self._status.value = f"<span style='color:#b00020'>{escape(message)}</span>"
        return None


# endregion
