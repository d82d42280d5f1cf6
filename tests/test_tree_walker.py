"""The decision-tree walker: the methods a click calls, and the clicks themselves."""

from __future__ import annotations

import pytest

from backend_skills.tree_walker import DecisionTreeWalker
from backend_skills.trees import UnknownChoice


def test_choose_back_reset_and_recommendation():
    walker = DecisionTreeWalker("databases-relational")
    assert walker.recommendation is None
    assert "Rapid prototyping" in walker.options
    walker.choose("rapid PROTOTYPING")
    assert walker.options == ["TypeScript", "Python", "Go"]
    walker.choose("Python")
    assert walker.recommendation.recommend == ("SQLModel",)
    assert "SQLModel" in walker._card.value and "orms-by-language.md" in walker._card.value
    assert walker._choices.children == ()
    walker.back()
    assert walker.recommendation is None and walker.path == ["Rapid prototyping"]
    walker.reset()
    assert walker.path == [] and walker._back_button.disabled


def test_clicking_buttons_runs_the_same_logic():
    walker = DecisionTreeWalker("databases-relational")
    first = next(
        b for b in walker._choices.children if b.description == "Embedded / edge deployment"
    )
    first.click()
    assert walker.recommendation.recommend[0] == "SQLite"
    walker._back_button.click()
    assert walker.path == []


def test_unknown_choice_is_refused_and_state_kept():
    walker = DecisionTreeWalker("databases-relational").choose("Rapid prototyping")
    with pytest.raises(UnknownChoice, match="TypeScript; Python; Go"):
        walker.choose("Cobol")
    assert walker.path == ["Rapid prototyping"]


def test_card_links_are_relative_to_the_notebook():
    walker = DecisionTreeWalker("databases-relational", link_base="../../")
    walker.walk(["Embedded / edge deployment"])
    assert 'href="../../skills/databases-relational/references/sqlite.md"' in walker._card.value
