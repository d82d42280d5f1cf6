"""OAuth 2.1 authorization code flow with PKCE: an Authlib authorization server and client."""
