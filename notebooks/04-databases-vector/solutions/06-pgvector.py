# Solutions to the exercises of 06-pgvector.ipynb. Each block replaces the whole exercise
# cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: the five nearest api-patterns sections
from sqlalchemy import select

distance = Section.embedding.cosine_distance(query_vectors[0]).label("distance")
api_nearest = (
    select(Section.id, distance).where(Section.skill == "api-patterns").order_by(distance).limit(5)
)
