# Solutions to the exercises of 07-api-security.ipynb. Each block replaces the exercise
# cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: fix the list endpoint
def find_notes(owner_id: int, q: str, limit: int) -> list[dict]:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return query(
        "SELECT id, owner_id, title FROM notes WHERE owner_id = ? "
        "AND title LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
        (owner_id, f"%{escaped}%", max(1, min(limit, 100))),
    )


# %% Exercise 2
# Exercise 2: stop mass assignment with a model
from pydantic import BaseModel, ConfigDict, Field


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=4000)
