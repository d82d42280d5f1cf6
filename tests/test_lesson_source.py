"""Lesson files are shown in marked parts, the markers hidden, the lines counted."""

from __future__ import annotations

import pytest

from backend_skills.lesson_source import source_part

LESSON = '''"""A lesson app."""
# region imports
import json
# endregion

class Shop:
    # region create
    def create(self, name):
        return json.dumps({"name": name})
    # endregion
'''


def test_a_part_is_its_lines_dedented(tmp_path):
    path = tmp_path / "shop_app.py"
    path.write_text(LESSON)
    assert source_part(path, "imports") == "import json"
    assert source_part(path, "create") == (
        'def create(self, name):\n    return json.dumps({"name": name})'
    )


def test_the_whole_file_hides_the_markers(tmp_path):
    path = tmp_path / "shop_app.py"
    path.write_text(LESSON)
    whole = source_part(path)
    assert "# region" not in whole and "# endregion" not in whole
    assert "class Shop:" in whole


@pytest.mark.parametrize(
    "text, message",
    [
        ("x = 1\n", "no region 'create'"),
        ("# region create\nx = 1\n", "has no '# endregion'"),
        ("# region create\n# endregion\n# region create\n# endregion\n", "marked twice"),
    ],
)
def test_bad_regions_are_named(tmp_path, text, message):
    path = tmp_path / "shop_app.py"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        source_part(path, "create")
