# Solutions to the exercises of 04-errors-and-validation.ipynb. Each block replaces the
# whole exercise cell; CI runs the notebook with them to prove each one passes its check.

# %% Exercise 1
# Exercise 1: JSON pointers
def json_pointer(loc: list) -> str | None:
    if not loc or loc[0] != "body":
        return None
    return "#/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in loc[1:])


# %% Exercise 2
# Exercise 2: fuzz the negotiation
def fuzz_negotiation() -> list[tuple[str, str]]:
    pairs = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=max(20, fuzz_examples // 3),
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=FUZZ_PHASES,
    )
    @given(probe=st.one_of(raw_bytes, wrong_types, wrong_place), accept=st.sampled_from(ACCEPTS))
    def negotiated(probe, accept: str) -> None:
        headers = {"Accept": accept}
        if probe.content_type:
            headers["Content-Type"] = probe.content_type
        response = client.request(probe.method, probe.path, content=probe.content, headers=headers)
        pairs.append((accept, response.headers["content-type"]))

    negotiated()
    return pairs
