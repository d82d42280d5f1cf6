"""A customer lookup over the online store, scored by the churn model (notebook 05-04).

``show(customer_id)`` is what the button runs, so a headless run calls the same path a
service would: one primary-key read from SQLite, a freshness check, one model call.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from html import escape

import ipywidgets as widgets
import pandas as pd
from feature_pipeline import FEATURES, is_fresh, online_features


class CustomerLookup:
    """Type a customer id, see its online features and its churn score."""

    def __init__(self, online: sqlite3.Connection, model, *, now: datetime, ttl: timedelta):
        self.online, self.model, self.now, self.ttl = online, model, now, ttl
        self.result: dict | None = None
        self._id = widgets.BoundedIntText(value=1, min=1, max=10**9, description="Customer")
        self._button = widgets.Button(description="Look up", icon="search")
        self._card = widgets.HTML()
        self._button.on_click(lambda _button: self.show(self._id.value))
        self.view = widgets.VBox([widgets.HBox([self._id, self._button]), self._card])

    def show(self, customer_id: int) -> dict | None:
        self._id.value = customer_id
        features = online_features(self.online, customer_id)
        if features is None:
            self.result = None
            self._card.value = f"<p>No online features for customer {customer_id}.</p>"
            return None
        row = pd.DataFrame([{name: features[name] for name in FEATURES}])
        score = float(self.model.predict_proba(row)[0, 1])
        fresh = is_fresh(features, self.now, self.ttl)
        self.result = {**features, "fresh": fresh, "churn_score": score}
        cells = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(str(features[name]))}</td></tr>"
            for name in ["feature_ts", *FEATURES]
        )
        colour = "#e76f51" if score >= 0.5 else "#2a9d8f"
        self._card.value = (
            f"<div style='border-left:4px solid {colour};padding:4px 12px'>"
            f"<b>Customer {customer_id}</b>: churn score <b>{score:.2f}</b>"
            f"{'' if fresh else ' <i>(stale features: older than the TTL)</i>'}"
            f"<table>{cells}</table></div>"
        )
        return self.result
