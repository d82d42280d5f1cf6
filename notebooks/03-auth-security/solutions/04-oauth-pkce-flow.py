# Solutions to the exercises of 04-oauth-pkce-flow.ipynb. Each block replaces the exercise
# cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: a callback handler
def callback_code(url: str, expected: LoginAttempt) -> str:
    params = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    if not hmac.compare_digest(params.get("state", ""), expected.state):
        raise ValueError("state mismatch")
    if params.get("iss") != ISSUER:
        raise ValueError("issuer mismatch")
    return params["code"]


# %% Exercise 2
# Exercise 2: at_hash
def left_half_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
