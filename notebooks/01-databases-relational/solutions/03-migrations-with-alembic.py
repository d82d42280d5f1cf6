# Solutions to the exercises of 03-migrations-with-alembic.ipynb. Each block replaces the
# exercise cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: a required column with a default
class ModelsV6(SQLModel):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CustomerV6(ModelsV6, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=32, index=True)
    country: str = Field(max_length=2)
    loyalty_points: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


rev6 = autogenerate(ModelsV6.metadata, "add loyalty points", "0006", batch=True)
print(revision_body(rev6))
command.upgrade(alembic_config(), "head")
models_v6 = ModelsV6.metadata
