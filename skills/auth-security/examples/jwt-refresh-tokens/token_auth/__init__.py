"""Asymmetric access JWTs with a JWKS, rotating refresh tokens with reuse detection."""
