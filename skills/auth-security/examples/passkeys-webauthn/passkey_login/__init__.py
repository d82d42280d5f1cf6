"""Passkey (WebAuthn) registration and sign-in with py_webauthn, and a software authenticator."""
