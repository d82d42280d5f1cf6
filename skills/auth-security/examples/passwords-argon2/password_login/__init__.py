"""Password registration and login done properly: argon2id, no enumeration, short-lived JWTs."""
