# Solutions to the exercises of 06-grpc-vs-rest.ipynb. Each block replaces the whole
# exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: a gRPC-to-REST error translator
def problem_from_rpc_error(error, instance: str) -> dict:
    status = GRPC_TO_HTTP.get(error.code(), 500)
    return {
        "type": "about:blank",
        "title": error.code().name.replace("_", " ").title(),
        "status": status,
        "detail": error.details(),
        "instance": instance,
    }


# %% Exercise 2
# Exercise 2: evolve the contract without breaking anyone
v2_proto = PROTO.replace("package shop.v1;", "package shop.v2;").replace(
    "  int64 price_cents = 5;\n}", "  int64 price_cents = 5;\n  int32 stock = 6;\n}", 1
)
