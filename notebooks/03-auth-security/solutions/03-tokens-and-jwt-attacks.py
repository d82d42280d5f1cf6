# Solutions to the exercises of 03-tokens-and-jwt-attacks.ipynb. Each block replaces the
# exercise cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: the thief is faster
copy_of_alice = login("alice")["refresh_token"]
thief_first = client.post("/auth/refresh", json={"refresh_token": copy_of_alice})
alice_late = client.post("/auth/refresh", json={"refresh_token": copy_of_alice})
thief_second = client.post(
    "/auth/refresh", json={"refresh_token": thief_first.json()["refresh_token"]}
)


# %% Exercise 2
# Exercise 2: fix the naive verifier
def fixed_verify(token: str) -> dict:
    try:
        token_header = jws.extract_compact(token.encode()).headers()
        if token_header.get("typ") != "at+jwt":
            raise Rejected("not an access token")
        verified = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": app.state.settings.issuer},
            aud={"essential": True, "value": app.state.settings.audience},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(verified.claims)
    except (JoseError, ValueError) as error:
        raise Rejected(type(error).__name__) from error
    return verified.claims
